"""English on the phone: 9 in the menu, then every prompt of the call in English, in the English voice."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from sms.sender import OutboxSmsSender
from tests.voice.support import (
    AGENTS,
    CALL_SID,
    CLOSED,
    PUBLIC_URL,
    Clock,
    call_record,
    drain,
    gather,
    said,
    spoken,
    twilio_post,
    twiml,
)
from tests.voice.test_crisis import MESSAGE, turn_on
from tests.web.support import Client, FakeRasa, bot_text, conversation_log, default_reply, muni_meta
from voice.prompts import PROMPTS_EN_FILE, PROMPTS_FILE, Prompts
from voice.settings import VoiceSettings, VoiceSettingsError
from voice.speech import for_the_ear

ENGLISH = Prompts.load(PROMPTS_EN_FILE)
DANISH = Prompts.load(PROMPTS_FILE)
ENGLISH_VOICE = ("Polly.Amy-Neural", "en-GB")
DANISH_VOICE = ("Polly.Naja", "da-DK")
PASSPORT_EN = "You can order a passport at Borgerservice (the citizen service) – Monday–Friday 10.00–17.00."


def english_or_danish(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa as the actions answer: in English when the conversation's language is English."""
    if message["metadata"].get("language") != "en" or message["message"].startswith("/"):
        return default_reply(message)
    return [
        bot_text(PASSPORT_EN),
        bot_text("Would you like to book a time?", buttons=[{"title": "Book a time", "payload": "/appointment_booking"}]),
        muni_meta(topic="passport", source="guide"),
    ]


def voices(element: ET.Element) -> dict[str, tuple[str | None, str | None]]:
    """Each <Say>'s text with the voice and language it is spoken in."""
    return {say.text or "": (say.get("voice"), say.get("language")) for say in element.iter("Say")}


def only_in_english(element: ET.Element) -> None:
    """Everything said in the English voice but the offer to go back to Danish (in the Danish voice)."""
    spoken_in = voices(element)
    assert spoken_in.pop(ENGLISH("other_language"), DANISH_VOICE) == DANISH_VOICE
    assert spoken_in and set(spoken_in.values()) == {ENGLISH_VOICE}, spoken_in
    for found in element.iter("Gather"):
        assert found.get("language") == "en-GB"
        assert (found.get("action") or "").endswith("lang=en"), found.get("action")


async def english_call(client: Client, call_sid: str = CALL_SID) -> ET.Element:
    await twiml(await twilio_post(client, "/voice/incoming", {"CallSid": call_sid}))
    return await twiml(await twilio_post(client, "/voice/menu", {"CallSid": call_sid, "Digits": "9"}))


async def ask_in_english(client: Client, speech: str) -> ET.Element:
    await twiml(await twilio_post(client, "/voice/menu?lang=en", {"Digits": "1"}))
    return await twiml(await twilio_post(client, "/voice/assistant?lang=en", {"SpeechResult": speech}))


async def test_the_menu_offers_english_in_english_and_nine_speaks_english_from_then_on(client: Client) -> None:
    first = await twiml(await twilio_post(client, "/voice/incoming"))
    assert voices(first)[DANISH("other_language")] == ENGLISH_VOICE
    assert DANISH("other_language") == "For English, press 9."

    root = await english_call(client)
    only_in_english(root)
    assert said(gather(root))[:2] == [ENGLISH("greeting"), ENGLISH("other_language")]
    assert ENGLISH("menu") in said(gather(root))
    assert gather(root).get("action") == f"{PUBLIC_URL}/voice/menu?tries=0&lang=en"
    assert "assistant" in (gather(root).get("hints") or "")

    intro = await twiml(await twilio_post(client, "/voice/menu?lang=en", {"SpeechResult": "the digital assistant please"}))
    only_in_english(intro)
    assert said(gather(intro)) == [ENGLISH("assistant_intro")]


async def test_an_english_question_gets_the_english_answer_read_for_the_english_ear(client: Client, rasa: FakeRasa) -> None:
    rasa.reply = english_or_danish
    await english_call(client)
    root = await ask_in_english(client, "how do I get a new passport")

    only_in_english(root)
    text = spoken(root)
    assert "citizen service, Monday to Friday 10 a.m. to 5 p.m." in text and "–" not in text
    assert "Say Book a time, or press 1." in text and ENGLISH("assistant_next") in text
    # The conversation is English for the assistant (Rasa's metadata) and in the log.
    assert rasa.received[-1]["metadata"]["language"] == "en"
    record = await call_record(client)
    assert record is not None and record.conversation_id is not None
    conversation = await conversation_log(client).conversation(record.conversation_id)
    assert conversation is not None and conversation.language == "en"


async def test_nine_on_an_english_call_goes_back_to_danish_and_the_assistant_follows(client: Client, rasa: FakeRasa) -> None:
    rasa.reply = english_or_danish
    await english_call(client)
    await ask_in_english(client, "how do I get a new passport")
    back = await twiml(await twilio_post(client, "/voice/menu?lang=en", {"SpeechResult": "dansk"}))
    assert said(gather(back))[0] == DANISH("greeting") and gather(back).get("action") == f"{PUBLIC_URL}/voice/menu?tries=0"
    await twilio_post(client, "/voice/menu", {"Digits": "1"})
    answer = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"}))
    assert rasa.received[-1]["metadata"]["language"] == "da"
    assert "Du kan bestille pas i Borgerservice." in spoken(answer)
    assert set(voices(gather(answer)).values()) == {DANISH_VOICE}


async def test_outside_opening_hours_the_closed_message_and_hours_are_english(client: Client, clock: Clock) -> None:
    clock.now = CLOSED
    await english_call(client)
    root = await twiml(await twilio_post(client, "/voice/menu?lang=en", {"Digits": "2"}))

    assert root.find("Dial") is None
    only_in_english(root)
    text = spoken(root)
    assert text.startswith("The contact centre is closed now. We open again tomorrow at 4 p.m.")
    assert "Our opening hours are: Monday to Thursday 8 a.m. to 8 p.m." in text
    assert "Kontaktcentret" not in text and "lukket" not in text
    assert ENGLISH("closed_options") in text and said(root)[-1] == ENGLISH("goodbye")


async def test_an_emergency_in_english_gets_112_and_the_english_answer_then_a_person(client: Client, rasa: FakeRasa) -> None:
    await english_call(client)
    root = await ask_in_english(client, "my child swallowed pills what do I do")

    only_in_english(root)
    text = spoken(root)
    assert text.startswith(ENGLISH("safety_112"))
    assert "Poison Line" in text and "82 12 12 12" in text and "Giftlinjen på" not in text  # not the Danish as well
    assert ENGLISH("transfer") in text
    number = root.find("Dial/Number")
    assert number is not None and number.text == AGENTS
    whisper_url = number.get("url") or ""
    assert whisper_url.endswith("&lang=en") and (root.find("Dial").get("action") or "").endswith("?lang=en")  # type: ignore[union-attr]
    whisper = await twiml(await twilio_post(client, whisper_url.removeprefix(PUBLIC_URL), {}))
    # For the agent, in Danish: the caller chose English.
    assert said(whisper)[-1] == DANISH("whisper_english") and set(voices(whisper).values()) == {DANISH_VOICE}
    assert rasa.messages[-1] == "/emergency"


async def test_an_english_call_hears_the_crisis_s_english_message(client: Client, database_path: Path, clock: Clock) -> None:
    await turn_on(database_path, clock)
    root = await english_call(client)
    only_in_english(root)
    text = spoken(gather(root))
    assert "Important message: Boil your drinking water." in text and MESSAGE not in text
    assert text.index("Boil your drinking water") < text.index(ENGLISH("menu")) < text.index(ENGLISH("crisis_repeat"))
    again = await twiml(await twilio_post(client, "/voice/menu?lang=en", {"Digits": "4"}))
    assert "Boil your drinking water." in spoken(again)


async def test_a_crisis_without_english_is_announced_as_danish_and_read_in_the_danish_voice(
    client: Client, database_path: Path, clock: Clock
) -> None:
    await turn_on(database_path, clock, message_en=None)
    root = await english_call(client)
    spoken_in = voices(gather(root))
    assert spoken_in[ENGLISH("crisis_in_danish")] == ENGLISH_VOICE
    danish = [text for text, voice in spoken_in.items() if MESSAGE in text]
    assert len(danish) == 1 and spoken_in[danish[0]] == DANISH_VOICE


async def test_a_danish_call_hears_the_crisis_s_english_message_in_the_english_voice(
    client: Client, database_path: Path, clock: Clock
) -> None:
    await turn_on(database_path, clock)
    spoken_in = voices(await twiml(await twilio_post(client, "/voice/incoming")))
    assert spoken_in["Important message in English: Boil your drinking water."] == ENGLISH_VOICE


async def test_the_sms_link_and_the_survey_are_english_after_an_english_call(
    client: Client, rasa: FakeRasa, outbox: OutboxSmsSender
) -> None:
    rasa.reply = english_or_danish
    await english_call(client)
    await ask_in_english(client, "how do I get a new passport")
    consent = await twiml(await twilio_post(client, "/voice/assistant?lang=en", {"Digits": "8"}))
    assert said(gather(consent)) == [ENGLISH("sms_consent")]
    after = await twiml(await twilio_post(client, "/voice/sms-consent?lang=en", {"SpeechResult": "yes please"}))
    assert ENGLISH("sms_sent") in said(after)
    await twilio_post(client, "/voice/status", {"CallStatus": "completed"})
    await drain(client)

    link, survey = [message["body"] for message in await outbox.messages()]
    assert link == ENGLISH("sms_link_body", url=f"{PUBLIC_URL}/start/aarhus/passport?via=sms&lang=en")
    assert survey == ENGLISH("survey_body")
    reply = await twilio_post(client, "/voice/sms", {"Body": "eight", "MessageSid": "SM1"})
    assert ENGLISH("survey_invalid") in await reply.text()
    reply = await twilio_post(client, "/voice/sms", {"Body": "8", "MessageSid": "SM2"})
    assert ENGLISH("survey_thanks") in await reply.text()


ENV = {"TWILIO_AUTH_TOKEN": "tok", "MUNI_VOICE_TRANSFER": "+4570200000", "MUNI_VOICE_MUNICIPALITY": "aarhus"}


def test_the_english_voice_is_a_setting_with_a_neural_british_default() -> None:
    settings = VoiceSettings.from_env("https://muni.example.dk", ENV)
    assert settings is not None and settings.voice_en == "Polly.Amy-Neural"
    chosen = VoiceSettings.from_env("https://muni.example.dk", {**ENV, "MUNI_VOICE_NAME_EN": "Google.en-GB-Neural2-A"})
    assert chosen is not None and chosen.voice_en == "Google.en-GB-Neural2-A"


@pytest.mark.parametrize("value", ["Amy", "Polly.", "Polly.Amy Neural", "<Say>"])
def test_a_bad_english_voice_stops_the_start_naming_the_variable(value: str) -> None:
    with pytest.raises(VoiceSettingsError, match="MUNI_VOICE_NAME_EN"):
        VoiceSettings.from_env("https://muni.example.dk", {**ENV, "MUNI_VOICE_NAME_EN": value})


@pytest.mark.parametrize(
    ("written", "heard"),
    [
        ("Borgerservice – Aarhus Kommune", "Borgerservice, Aarhus Kommune."),  # a dash between words is a pause
        ("Open Monday–Thursday 8:00–20:00", "Open Monday to Thursday 8 a.m. to 8 p.m."),
        ("mandag–fredag kl. 10.00–17.30", "mandag to fredag at 10 a.m. to 5:30 p.m."),  # a municipality's Danish value
        ("We open again tomorrow at 16:00.", "We open again tomorrow at 4 p.m."),
        ("It closes at 12:00 and 0:00; a break 12:30–13:15", "It closes at noon and midnight; a break 12:30 p.m. to 1:15 p.m."),
        ("Bring e.g. your passport (demo-data), approx. 668 kr.", "Bring for example your passport, approximately 668 kroner."),
        ("Call tel. 70 20 30 40, no. 12 (Borgerservice)", "Call telephone 70 20 30 40, number 12, Borgerservice."),
        ("The answer is no.", "The answer is no."),
        ("Read more: https://www.borger.dk/pas", "Read more."),
        ("Closed on 1/5", "Closed on 1 May."),
    ],
)
def test_english_is_prepared_for_the_english_ear(written: str, heard: str) -> None:
    assert for_the_ear(written, "en") == heard


def test_danish_is_still_prepared_for_the_danish_ear() -> None:
    assert for_the_ear("mandag–fredag kl. 8.00–16.00") == "mandag til fredag klokken 8 til 16."

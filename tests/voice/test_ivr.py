"""The caller's paths, as TwiML: menu, assistant turns, reprompts, the way to a person open and closed."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from unittest.mock import ANY

from muni.sealed import ContactSealer
from tests.voice.conftest import VoiceClientFactory
from tests.voice.support import (
    AGENTS,
    CALL_SID,
    CLOSED,
    PUBLIC_URL,
    Clock,
    call_record,
    gather,
    said,
    spoken,
    twilio_post,
    twiml,
    verbs,
)
from tests.web.support import (
    SECRET,
    Client,
    FakeRasa,
    bot_text,
    conversation_log,
    muni_meta,
)
from voice.prompts import Prompts
from voice.settings import TransferTarget, VoiceSettings


async def start_assistant(client: Client) -> None:
    await twiml(await twilio_post(client, "/voice/incoming"))
    await twiml(await twilio_post(client, "/voice/menu", {"Digits": "1"}))


async def test_incoming_call_greets_and_offers_the_menu_by_voice_or_keypad(client: Client) -> None:
    root = await twiml(await twilio_post(client, "/voice/incoming"))

    menu = gather(root)
    assert menu.get("input") == "dtmf speech"
    assert menu.get("language") == "da-DK"
    assert menu.get("numDigits") == "1"
    assert menu.get("actionOnEmptyResult") == "true"
    assert menu.get("action") == f"{PUBLIC_URL}/voice/menu?tries=0"
    assert "assistent" in (menu.get("hints") or "") and "medarbejder" in (menu.get("hints") or "")
    says = menu.findall("Say")
    assert says[0].text == "Velkommen til Den Digitale Hotline."
    danish = [s for s in says if s.text != "For English, press 9."]
    assert all(s.get("voice") == "Polly.Naja" and s.get("language") == "da-DK" for s in danish)
    english = [s for s in says if s not in danish]  # offered in English, in the English voice, before the menu
    assert [(s.get("voice"), s.get("language")) for s in english] == [("Polly.Amy-Neural", "en-GB")]
    assert [s.text for s in says].index("For English, press 9.") < [s.text for s in says].index(Prompts.load()("menu"))
    assert "Tryk 1" in spoken(menu) and "Tryk 2" in spoken(menu)
    record = await call_record(client)
    assert record is not None and record.municipality == "aarhus" and record.choices == []


async def test_choosing_the_assistant_opens_a_voice_conversation_keyed_by_the_call(client: Client, rasa: FakeRasa) -> None:
    await start_assistant(client)

    record = await call_record(client)
    assert record is not None and record.choices == ["assistant"] and record.conversation_id is not None
    assert rasa.received[0]["sender"] == record.conversation_id  # never the caller's number
    assert rasa.received[0]["metadata"] == {"municipality": "aarhus", "channel": "voice", "language": "da", "request_id": ANY}
    conversation = await conversation_log(client).conversation(record.conversation_id)
    assert conversation is not None and conversation.channel == "voice"


async def test_saying_assistent_works_like_pressing_1(client: Client) -> None:
    await twilio_post(client, "/voice/incoming")
    root = await twiml(await twilio_post(client, "/voice/menu", {"SpeechResult": "Den digitale assistent tak"}))
    assert gather(root).get("action") == f"{PUBLIC_URL}/voice/assistant"
    assert "Stil dit spørgsmål" in spoken(root)


async def test_an_answer_is_read_for_the_ear_with_buttons_as_keypad_choices(client: Client, rasa: FakeRasa) -> None:
    await start_assistant(client)
    root = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"}))

    turn = gather(root)
    assert turn.get("action") == f"{PUBLIC_URL}/voice/assistant"
    assert turn.get("input") == "dtmf speech"
    text = spoken(root)
    assert "Du kan bestille pas i Borgerservice." in text
    assert "Sig Bestil tid, eller tryk 1." in said(turn)
    assert "http" not in text and "borger.dk" not in text
    assert "tryk 0 for at tale med en medarbejder" in text
    assert rasa.messages[-1] == "hvad koster et pas"

    await twilio_post(client, "/voice/assistant", {"Digits": "1"})  # the button, by keypad
    assert rasa.messages[-1] == "/appointment_booking"
    record = await call_record(client)
    assert record is not None and record.topics == ["passport"] and record.assistant_turns == 2


async def test_spoken_cpr_and_phone_digits_are_redacted_before_rasa_and_the_log(client: Client, rasa: FakeRasa) -> None:
    await start_assistant(client)
    spoken = "mit cpr er 0 1 0 1 9 0 1 2 3 4 og mit nummer 2 0 3 0 4 0 5 0"
    await twilio_post(client, "/voice/assistant", {"SpeechResult": spoken})

    assert rasa.messages[-1] == "mit cpr er [CPR] og mit nummer [TELEFON]"
    record = await call_record(client)
    assert record is not None and record.conversation_id is not None
    texts = [turn.text for turn in await conversation_log(client).turns(record.conversation_id)]
    assert "mit cpr er [CPR] og mit nummer [TELEFON]" in texts
    assert not any("0 1 0 1" in text or "2 0 3 0" in text for text in texts)


async def test_silence_gets_a_reprompt_then_a_person(client: Client) -> None:
    await start_assistant(client)
    first = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": ""}))
    assert gather(first).get("action") == f"{PUBLIC_URL}/voice/assistant?tries=1"
    assert said(gather(first))[0] == "Undskyld, det fangede jeg ikke."

    second = await twiml(await twilio_post(client, "/voice/assistant?tries=1", {}))
    assert gather(second).get("action") == f"{PUBLIC_URL}/voice/assistant?tries=2"

    third = await twiml(await twilio_post(client, "/voice/assistant?tries=2", {}))
    assert "Dial" in verbs(third)
    assert third.find("Dial/Number").text == AGENTS  # type: ignore[union-attr]


async def test_menu_silence_reprompts_and_then_says_goodbye(client: Client) -> None:
    await twilio_post(client, "/voice/incoming")
    again = await twiml(await twilio_post(client, "/voice/menu?tries=0", {}))
    assert gather(again).get("action") == f"{PUBLIC_URL}/voice/menu?tries=1"
    assert said(gather(again))[0] == "Undskyld, det fangede jeg ikke."
    last = await twiml(await twilio_post(client, "/voice/menu?tries=2", {}))
    assert verbs(last) == ["Say", "Hangup"]


async def test_a_person_while_open_transfers_the_call_with_what_it_was_about(client: Client) -> None:
    await start_assistant(client)
    await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"})
    root = await twiml(await twilio_post(client, "/voice/assistant", {"Digits": "0"}))

    dial = root.find("Dial")
    assert dial is not None and dial.get("action") == f"{PUBLIC_URL}/voice/dial-done"
    number = dial.find("Number")
    assert number is not None and number.text == AGENTS
    assert number.get("url") == f"{PUBLIC_URL}/voice/whisper?topic=passport&municipality=aarhus&call={CALL_SID}"
    assert "sætter dig igennem" in spoken(root)
    record = await call_record(client)
    assert record is not None and record.transferred and record.choices == ["assistant", "agent"]


async def test_a_handoff_from_the_assistant_transfers_the_call(client: Client, rasa: FakeRasa) -> None:
    await start_assistant(client)
    rasa.reply = lambda _: [bot_text("Jeg finder en medarbejder til dig."), muni_meta(source="handoff", handoff=True)]
    root = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "jeg vil tale med et menneske nu"}))

    # The chat's hand-over text is not read on the phone: the transfer prompt says what happens.
    assert "Jeg finder en medarbejder til dig." not in said(root)
    assert said(root)[0] == Prompts.load()("transfer")
    assert root.find("Dial/Number") is not None


async def test_a_person_while_closed_gives_the_hours_and_the_other_ways(client: Client, clock: Clock) -> None:
    clock.now = CLOSED
    await twilio_post(client, "/voice/incoming")
    root = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "2"}))

    assert root.find("Dial") is None and root.find("Enqueue") is None
    text = spoken(root)
    assert "Kontaktcentret har lukket nu." in text
    assert "Vi åbner igen i morgen klokken 16." in text  # Sunday evening
    assert "Mandag til torsdag 8 til 20" in text
    assert "1. maj og 5. juni lukker kontaktcentret klokken 12 på hverdage" in text
    options = gather(root)
    assert options.get("action") == f"{PUBLIC_URL}/voice/menu"
    assert "Tryk 1" in spoken(options) and "tryk 3" in spoken(options)
    assert verbs(root)[-1] == "Hangup"
    record = await call_record(client)
    assert record is not None and not record.transferred


async def test_the_first_of_may_closes_at_noon(client: Client, clock: Clock) -> None:
    from datetime import datetime

    await twilio_post(client, "/voice/incoming")
    clock.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)  # Friday 11:00 local
    assert (await twiml(await twilio_post(client, "/voice/menu", {"Digits": "2"}))).find("Dial") is not None
    clock.now = datetime(2026, 5, 1, 10, 30, tzinfo=UTC)  # Friday 12:30 local: another call (the same
    # request again in the same call would be a replay, answered as the first: voice/replay.py)
    later_call = "CA" + "1" * 32
    await twilio_post(client, "/voice/incoming", {"CallSid": later_call})
    closed = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "2", "CallSid": later_call}))
    assert closed.find("Dial") is None and "lukket" in spoken(closed)


async def test_whisper_tells_the_agent_the_topic_and_municipality(client: Client) -> None:
    root = await twiml(await twilio_post(client, "/voice/whisper?topic=passport&municipality=aarhus", {}))
    assert said(root) == ["Opkald fra den digitale assistent. Emne: passport. Kommune: aarhus."]


async def test_nobody_answering_the_transfer_gets_an_apology(client: Client) -> None:
    root = await twiml(await twilio_post(client, "/voice/dial-done", {"DialCallStatus": "no-answer"}))
    assert verbs(root) == ["Say", "Hangup"] and "ingen ledige" in spoken(root)
    done = await twiml(await twilio_post(client, "/voice/dial-done", {"DialCallStatus": "completed"}))
    assert verbs(done) == ["Hangup"]


async def test_call_sid_must_look_like_twilio_s(client: Client) -> None:
    response = await twilio_post(client, "/voice/incoming", {"CallSid": "../etc"})
    assert response.status == 400
    assert await call_record(client, "../etc") is None
    assert CALL_SID.startswith("CA")


async def test_a_sip_transfer_carries_topic_and_municipality_as_headers(
    make_voice_client: VoiceClientFactory, voice_settings: VoiceSettings
) -> None:
    sip = TransferTarget("sip", "sip:agents@pbx.example.dk")
    client = await make_voice_client(voice_settings=dataclasses.replace(voice_settings, transfer=sip))
    await start_assistant(client)
    await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"})
    root = await twiml(await twilio_post(client, "/voice/assistant", {"Digits": "0"}))
    assert root.find("Dial/Sip").text == "sip:agents@pbx.example.dk?X-Muni-Topic=passport&X-Muni-Municipality=aarhus"  # type: ignore[union-attr]


async def test_a_queue_transfer_enqueues_the_caller(make_voice_client: VoiceClientFactory, voice_settings: VoiceSettings) -> None:
    queue = TransferTarget("queue", "hotline")
    client = await make_voice_client(voice_settings=dataclasses.replace(voice_settings, transfer=queue))
    await twilio_post(client, "/voice/incoming")
    root = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "2"}))
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "hotline"
    assert enqueue.get("action") == f"{PUBLIC_URL}/voice/dial-done"


async def test_a_spoken_phone_number_reaches_a_booking_sealed_never_in_clear(client: Client, rasa: FakeRasa) -> None:
    await start_assistant(client)
    await twilio_post(client, "/voice/assistant", {"SpeechResult": "mit nummer er 2 0 3 0 4 0 5 0"})

    sent = rasa.received[-1]
    assert sent["message"] == "mit nummer er [TELEFON]"
    sealed = sent["metadata"].get("sealed_contact")
    assert isinstance(sealed, str) and "20304050" not in sealed
    assert ContactSealer(SECRET).unseal(sealed) == "20304050"  # the action server can confirm a booking by SMS

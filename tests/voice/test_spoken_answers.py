"""What the caller hears, read back from the TwiML: written text prepared for the ear (voice/speech.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conversation.fallback import fallback_messages
from knowledge import ContactCentre
from tests.voice.support import CLOSED, Clock, said, spoken, twilio_post, twiml
from tests.web.support import Client, FakeRasa, bot_text, muni_meta
from voice.speech import for_the_ear

GUIDE_ANSWER = [
    "Pas – Borgerservice – Aarhus Kommune",
    "Et pas til voksne koster 668 kr. (demo-data)",
    "Borgerservice har åbent mandag–fredag kl. 10.00–15.00, torsdag til kl. 17.30.",
    "Ring på tlf. 89 40 20 00 (tryk 2) eller læs mere på https://aarhus.dk/pas",
    "Husk f.eks. dit gamle pas, evt. også dit sygesikringsbevis (det gule kort).",
    "(Nogle af oplysningerne her er demo-data – tjek altid kommunens hjemmeside eller borger.dk.)",
]


async def answered(client: Client, rasa: FakeRasa, lines: list[str]) -> list[str]:
    def reply(_: dict[str, Any]) -> list[dict[str, Any]]:
        return [bot_text("\n".join(lines)), muni_meta(topic="passport", source="guide")]

    rasa.reply = reply
    await twilio_post(client, "/voice/incoming")
    await twilio_post(client, "/voice/menu", {"Digits": "1"})
    return said(await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"})))


async def test_a_guide_answer_is_read_for_the_ear(client: Client, rasa: FakeRasa) -> None:
    heard = (await answered(client, rasa, GUIDE_ANSWER))[0]

    assert heard == (
        "Pas, Borgerservice, Aarhus Kommune. "
        "Et pas til voksne koster 668 kr. "
        "Borgerservice har åbent mandag til fredag klokken 10 til 15, torsdag til klokken 17.30. "
        "Ring på telefon 89 40 20 00, tryk 2, eller læs mere på. "
        "Husk for eksempel dit gamle pas, eventuelt også dit sygesikringsbevis, det gule kort. "
        "Nogle af oplysningerne her er demo-data, tjek altid kommunens hjemmeside eller borger.dk."
    )


async def test_the_written_answer_is_unchanged(client: Client, rasa: FakeRasa) -> None:
    """Preparing speech changes nothing that the chat shows: the conversation log keeps the written text."""
    await answered(client, rasa, GUIDE_ANSWER)
    from tests.web.support import conversation_log
    from voice.state import CALLS, VOICE_APP

    record = await client.app[VOICE_APP][CALLS].get("CA" + "0123456789abcdef" * 2)
    assert record is not None and record.conversation_id is not None
    turns = await conversation_log(client).turns(record.conversation_id)
    assert turns[-1].text == "\n".join(GUIDE_ANSWER)


async def test_the_closed_hours_are_read_with_til_and_whole_hours(client: Client, clock: Clock) -> None:
    clock.now = CLOSED
    await twilio_post(client, "/voice/incoming")
    text = spoken(await twiml(await twilio_post(client, "/voice/menu", {"Digits": "2"})))
    assert "Mandag til torsdag 8 til 20, fredag 8 til 16" in text
    assert "klokken 12 på hverdage" in text
    assert "–" not in text and "kl." not in text


async def test_a_handoff_while_closed_says_the_closed_hours_once(client: Client, rasa: FakeRasa, clock: Clock) -> None:
    clock.now = CLOSED
    centre = ContactCentre.load()

    def handoff(_: dict[str, Any]) -> list[dict[str, Any]]:
        return [*fallback_messages(centre, CLOSED), muni_meta(source="handoff", handoff=True)]

    rasa.reply = handoff
    await twilio_post(client, "/voice/incoming")
    await twilio_post(client, "/voice/menu", {"Digits": "1"})
    text = spoken(await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "jeg vil tale med en person"})))
    assert text.count("Kontaktcentret har lukket nu.") == 1, text
    assert text.count("Mandag til torsdag 8 til 20") == 1, text


written_lines = st.lists(
    st.sampled_from([
        "Borgerservice – Aarhus Kommune", "(demo-data)", "kl. 8.00–16.00", "tlf. 70 20 30 40", "nr. 12",
        "https://www.borger.dk/pas", "mandag–fredag", "Pas (voksne)", "668 kr.", "f.eks.", "—", " - ", "Læs mere",
    ]),
    min_size=1, max_size=8,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(written_lines, min_size=1, max_size=4).map("\n".join))
def test_nothing_for_the_eye_is_left_to_read_aloud(text: str) -> None:
    heard = for_the_ear(text)
    for written in ("(", ")", "–", "—", "http", "kl.", "tlf.", "nr.", "f.eks.", "demo-data)", " - ", ".00"):
        assert written not in heard, (written, heard)
    assert for_the_ear(heard) == heard, "reading it again changes nothing"

"""Twilio waits 15 s at most: a slow, dead or broken assistant still gets the caller a person or the hours."""

from __future__ import annotations

import dataclasses
import time

import pytest

from conversation.state import CONVERSATIONS
from gateway.settings import GatewaySettings
from tests.voice.conftest import VoiceClientFactory
from tests.voice.support import (
    AGENTS,
    CLOSED,
    Clock,
    call_record,
    spoken,
    twilio_post,
    twiml,
    verbs,
)
from tests.web.support import Client, FakeRasa


async def test_a_slow_assistant_is_given_up_on_within_seconds_and_the_caller_put_through(
    make_voice_client: VoiceClientFactory, settings: GatewaySettings, rasa: FakeRasa
) -> None:
    # Rasa itself would be waited for 30 s; the IVR's own limit (1 s here) is what counts.
    client = await make_voice_client(settings=dataclasses.replace(settings, rasa_timeout_s=30.0))
    await twilio_post(client, "/voice/incoming")
    await twilio_post(client, "/voice/menu", {"Digits": "1"})
    rasa.hang = True

    started = time.perf_counter()
    root = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"}))
    elapsed = time.perf_counter() - started

    assert elapsed < 3.0
    assert "den digitale assistent svarer ikke lige nu" in spoken(root)
    assert root.find("Dial/Number").text == AGENTS  # type: ignore[union-attr]
    record = await call_record(client)
    assert record is not None and record.transferred


async def test_a_slow_assistant_when_closed_gives_the_hours(
    make_voice_client: VoiceClientFactory, settings: GatewaySettings, rasa: FakeRasa, clock: Clock
) -> None:
    client = await make_voice_client(settings=dataclasses.replace(settings, rasa_timeout_s=30.0))
    clock.now = CLOSED
    await twilio_post(client, "/voice/incoming")
    rasa.hang = True
    started = time.perf_counter()
    intro = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "1"}))  # the greeting hangs: not waited for
    assert time.perf_counter() - started < 1.0
    assert "Stil dit spørgsmål" in spoken(intro)

    started = time.perf_counter()
    root = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"}))
    assert time.perf_counter() - started < 3.0
    text = spoken(root)
    assert "svarer ikke" in text and "Vores åbningstider er" in text
    assert root.find("Dial") is None and verbs(root)[-1] == "Hangup"
    assert "tryk 3" in text.lower() and "Tryk 1 for at tale med den digitale assistent" not in text
    rasa.release()


async def test_a_dead_assistant_puts_the_caller_through(
    make_voice_client: VoiceClientFactory, settings: GatewaySettings, closed_port_url: str
) -> None:
    client = await make_voice_client(settings=dataclasses.replace(settings, rasa_url=closed_port_url))
    await twilio_post(client, "/voice/incoming")
    root = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "1"}))
    assert "svarer ikke" in spoken(root)
    assert root.find("Dial/Number") is not None


async def test_an_assistant_failing_mid_call_puts_the_caller_through(client: Client, rasa: FakeRasa) -> None:
    await twilio_post(client, "/voice/incoming")
    await twilio_post(client, "/voice/menu", {"Digits": "1"})
    rasa.webhook_status = 500
    root = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"}))
    assert root.find("Dial/Number") is not None
    assert "Ring til" not in spoken(root)  # the chat's fallback text is not read to a caller on the phone


async def test_a_malformed_reply_puts_the_caller_through(client: Client, rasa: FakeRasa) -> None:
    await twilio_post(client, "/voice/incoming")
    await twilio_post(client, "/voice/menu", {"Digits": "1"})
    rasa.reply = lambda _: [{"text": "Svar", "buttons": "not a list"}]
    root = await twiml(await twilio_post(client, "/voice/assistant", {"SpeechResult": "hej"}))
    assert root.find("Dial/Number") is not None


class BrokenConversations:
    """A conversation service with a bug: every call raises."""

    async def start(self, *args: object) -> None:
        raise RuntimeError("a bug")


@pytest.mark.filterwarnings("ignore:Changing state of started:DeprecationWarning")
async def test_an_unexpected_error_still_answers_with_twiml(client: Client, clock: Clock) -> None:
    client.app[CONVERSATIONS] = BrokenConversations()  # type: ignore[assignment]
    await twilio_post(client, "/voice/incoming")
    root = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "1"}))
    assert root.find("Dial/Number") is not None
    clock.now = CLOSED
    closed = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "1"}))
    assert "Vores åbningstider er" in spoken(closed) and verbs(closed)[-1] == "Hangup"

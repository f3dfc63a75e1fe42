"""A Twilio webhook replayed with the same signature and form is answered as the first time, with no new effect."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sms.sender import OutboxSmsSender
from tests.voice.support import CALL_SID, Clock, call_record, drain, twilio_post, twiml
from tests.web.support import Client, FakeRasa, bot_text, muni_meta
from voice.replay import REPLAY_WINDOW


async def at_sms_consent(client: Client) -> None:
    await twilio_post(client, "/voice/incoming")
    await twilio_post(client, "/voice/menu", {"Digits": "1"})
    await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"})
    await twilio_post(client, "/voice/assistant", {"Digits": "8"})


async def body_of(client: Client, path: str, params: dict[str, str]) -> str:
    response = await twilio_post(client, path, params)
    await twiml(response)  # 200 and TwiML, every time
    return await response.text()


async def test_a_replayed_sms_consent_sends_no_second_sms(client: Client, outbox: OutboxSmsSender) -> None:
    await at_sms_consent(client)
    first = await body_of(client, "/voice/sms-consent", {"Digits": "1"})
    again = await body_of(client, "/voice/sms-consent", {"Digits": "1"})
    await drain(client)

    assert again == first and "Du får en SMS om et øjeblik." in first
    assert len(await outbox.messages()) == 1
    record = await call_record(client)
    assert record is not None and record.choices.count("sms_consent_yes") == 1


async def test_replays_arriving_together_send_one_sms(client: Client, outbox: OutboxSmsSender) -> None:
    await at_sms_consent(client)
    bodies = await asyncio.gather(*(body_of(client, "/voice/sms-consent", {"Digits": "1"}) for _ in range(5)))
    await drain(client)

    assert len(set(bodies)) == 1
    assert len(await outbox.messages()) == 1
    record = await call_record(client)
    assert record is not None and record.choices.count("sms_consent_yes") == 1


async def test_a_replayed_transfer_from_the_menu_transfers_once(client: Client) -> None:
    await twilio_post(client, "/voice/incoming")
    first = await body_of(client, "/voice/menu", {"Digits": "2"})
    again = await body_of(client, "/voice/menu", {"Digits": "2"})

    assert again == first and "<Dial" in first
    record = await call_record(client)
    assert record is not None and record.transferred and record.choices == ["agent"]


async def test_the_same_keys_later_in_the_call_on_a_new_topic_are_a_new_request(
    client: Client, rasa: FakeRasa, outbox: OutboxSmsSender
) -> None:
    """Identical form and URL, but the call moved on in between: not a replay."""
    await at_sms_consent(client)
    await body_of(client, "/voice/sms-consent", {"Digits": "1"})

    def moving(_: dict[str, Any]) -> list[dict[str, Any]]:
        return [bot_text("Sådan melder du flytning."), muni_meta(topic="moving", source="guide")]

    rasa.reply = moving
    await twilio_post(client, "/voice/assistant", {"SpeechResult": "jeg skal flytte"})
    await twilio_post(client, "/voice/assistant", {"Digits": "8"})
    await body_of(client, "/voice/sms-consent", {"Digits": "1"})
    await drain(client)

    keys = [message["idempotency_key"] for message in await outbox.messages()]
    assert keys == [f"{CALL_SID}:link:passport", f"{CALL_SID}:link:moving"]


async def test_a_replay_after_the_window_is_handled_again_and_still_sends_once(
    client: Client, clock: Clock, outbox: OutboxSmsSender
) -> None:
    await at_sms_consent(client)
    await body_of(client, "/voice/sms-consent", {"Digits": "1"})
    clock.now += REPLAY_WINDOW + timedelta(seconds=1)
    await body_of(client, "/voice/sms-consent", {"Digits": "1"})
    await drain(client)
    assert len(await outbox.messages()) == 1, "the SMS's own idempotency key still holds"


async def test_a_replayed_status_callback_sends_one_survey(client: Client, outbox: OutboxSmsSender) -> None:
    await twilio_post(client, "/voice/incoming")
    await twilio_post(client, "/voice/menu", {"Digits": "1"})
    await twilio_post(client, "/voice/assistant", {"SpeechResult": "hvad koster et pas"})
    for _ in range(3):
        response = await twilio_post(client, "/voice/status", {"CallStatus": "completed", "CallDuration": "40"})
        assert response.status == 204
    await drain(client)
    assert [m["idempotency_key"] for m in await outbox.messages()] == [f"{CALL_SID}:survey"]


async def test_an_unsigned_replay_is_still_refused(client: Client) -> None:
    await twilio_post(client, "/voice/incoming")
    await body_of(client, "/voice/menu", {"Digits": "2"})
    response = await client.post("/voice/menu", data={"CallSid": CALL_SID, "Digits": "2"})
    assert response.status == 403

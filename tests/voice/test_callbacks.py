"""Status callbacks (repeated, out of order), the satisfaction survey, and SMS consent."""

from __future__ import annotations

import asyncio

from sms.sender import OutboxSmsSender, phone_hash
from tests.voice.conftest import HASH_KEY
from tests.voice.support import (
    CALL_SID,
    CALLER,
    CLOSED,
    PUBLIC_URL,
    Clock,
    call_record,
    drain,
    gather,
    said,
    twilio_post,
    twiml,
    verbs,
)
from tests.web.support import Client

OTHER_CALL = "CA" + "f" * 32


async def assistant_call(client: Client, call_sid: str = CALL_SID) -> None:
    """A call where the caller chose the assistant and asked one question."""
    await twilio_post(client, "/voice/incoming", {"CallSid": call_sid})
    await twilio_post(client, "/voice/menu", {"CallSid": call_sid, "Digits": "1"})
    await twilio_post(client, "/voice/assistant", {"CallSid": call_sid, "SpeechResult": "hvad koster et pas"})


async def status(client: Client, call_status: str, call_sid: str = CALL_SID, duration: str = "") -> int:
    params = {"CallSid": call_sid, "CallStatus": call_status}
    if duration:
        params["CallDuration"] = duration
    return (await twilio_post(client, "/voice/status", params)).status


async def test_a_completed_assistant_call_gets_one_survey_however_often_twilio_repeats(
    client: Client, outbox: OutboxSmsSender
) -> None:
    await assistant_call(client)
    results = await asyncio.gather(*(status(client, "completed", duration="95") for _ in range(4)))
    assert results == [204] * 4
    await drain(client)

    messages = await outbox.messages()
    assert len(messages) == 1
    assert "1 (meget utilfreds) til 9 (meget tilfreds)" in messages[0]["body"]
    assert messages[0]["to_hash"] == phone_hash(CALLER, HASH_KEY)
    assert CALLER not in str(messages)
    record = await call_record(client)
    assert record is not None and record.status == "completed" and record.duration_s == 95
    assert record.survey_sent_at is not None


async def test_late_status_callbacks_do_not_move_a_call_backwards(client: Client, outbox: OutboxSmsSender) -> None:
    await assistant_call(client)
    await status(client, "completed", duration="40")
    await status(client, "ringing")
    await status(client, "in-progress")
    record = await call_record(client)
    assert record is not None and record.status == "completed" and record.duration_s == 40
    await drain(client)
    assert len(await outbox.messages()) == 1


async def test_a_status_before_the_call_is_known_changes_nothing(client: Client) -> None:
    assert await status(client, "completed", call_sid=OTHER_CALL) == 204
    assert await call_record(client, OTHER_CALL) is None


async def test_transferred_and_menu_only_calls_are_not_surveyed(client: Client, outbox: OutboxSmsSender) -> None:
    await assistant_call(client)
    await twilio_post(client, "/voice/assistant", {"Digits": "0"})  # put through to an agent
    await status(client, "completed")
    await twilio_post(client, "/voice/incoming", {"CallSid": OTHER_CALL})  # hung up in the menu
    await status(client, "completed", call_sid=OTHER_CALL)
    await drain(client)
    assert await outbox.messages() == []


async def test_the_survey_answer_is_recorded_against_the_call_once(client: Client, outbox: OutboxSmsSender) -> None:
    await assistant_call(client)
    await status(client, "completed")
    await drain(client)

    reply = await twilio_post(client, "/voice/sms", {"Body": " 7 ", "MessageSid": "SM1"})
    assert reply.status == 200 and "Tak for dit svar." in await reply.text()
    await twilio_post(client, "/voice/sms", {"Body": "2", "MessageSid": "SM2"})  # a second answer does not overwrite
    record = await call_record(client)
    assert record is not None and record.survey_score == 7


async def test_a_survey_answer_out_of_range_is_asked_again_and_not_stored(client: Client) -> None:
    await assistant_call(client)
    await status(client, "completed")
    reply = await twilio_post(client, "/voice/sms", {"Body": "10"})
    assert "fra 1 til 9" in await reply.text()
    record = await call_record(client)
    assert record is not None and record.survey_score is None


async def test_sms_link_asks_for_consent_then_texts_the_topic_link(client: Client, outbox: OutboxSmsSender) -> None:
    await assistant_call(client)
    question = await twiml(await twilio_post(client, "/voice/assistant", {"Digits": "8"}))
    consent = gather(question)
    assert consent.get("action") == f"{PUBLIC_URL}/voice/sms-consent"
    assert "Må vi sende dig en SMS" in said(consent)[0]
    await drain(client)
    assert await outbox.messages() == []  # nothing before the caller says yes

    after = await twiml(await twilio_post(client, "/voice/sms-consent", {"SpeechResult": "ja tak"}))
    assert "Du får en SMS om et øjeblik." in said(after)
    assert gather(after).get("action") == f"{PUBLIC_URL}/voice/assistant"
    await drain(client)
    messages = await outbox.messages()
    assert len(messages) == 1
    assert f"{PUBLIC_URL}/start/aarhus/passport?via=sms" in messages[0]["body"]
    record = await call_record(client)
    assert record is not None and "sms_consent_yes" in record.choices


async def test_declining_the_sms_sends_nothing(client: Client, outbox: OutboxSmsSender) -> None:
    await assistant_call(client)
    await twilio_post(client, "/voice/assistant", {"Digits": "8"})
    after = await twiml(await twilio_post(client, "/voice/sms-consent", {"Digits": "2"}))
    assert "Du får ingen SMS" in " ".join(said(after))
    await drain(client)
    assert await outbox.messages() == []


async def test_an_unclear_consent_answer_is_asked_again_then_the_call_goes_back_to_the_assistant(
    client: Client, outbox: OutboxSmsSender
) -> None:
    await assistant_call(client)
    await twilio_post(client, "/voice/assistant", {"Digits": "8"})
    again = await twiml(await twilio_post(client, "/voice/sms-consent", {"SpeechResult": "hvad siger du"}))
    assert gather(again).get("action") == f"{PUBLIC_URL}/voice/sms-consent?tries=1"
    assert said(gather(again))[0] == "Undskyld, det fangede jeg ikke."
    last = await twiml(await twilio_post(client, "/voice/sms-consent?tries=1", {}))
    assert gather(last).get("action") == f"{PUBLIC_URL}/voice/sms-consent?tries=2"

    back = await twiml(await twilio_post(client, "/voice/sms-consent?tries=2", {}))  # silence: not asked for ever
    assert gather(back).get("action") == f"{PUBLIC_URL}/voice/assistant"
    assert len(said(back)) == 1 and said(back)[0].startswith("Du kan stille et nyt spørgsmål.")
    await drain(client)
    assert await outbox.messages() == []


async def test_asking_twice_for_the_same_link_sends_one_sms(client: Client, outbox: OutboxSmsSender) -> None:
    await assistant_call(client)
    for _ in range(2):
        await twilio_post(client, "/voice/assistant", {"Digits": "8"})
        await twilio_post(client, "/voice/sms-consent", {"Digits": "1"})
    await drain(client)
    assert len(await outbox.messages()) == 1


async def test_closed_centre_texts_a_link_to_the_chat_on_request(
    client: Client, outbox: OutboxSmsSender, clock: Clock
) -> None:
    clock.now = CLOSED
    await twilio_post(client, "/voice/incoming")
    root = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "3"}))
    assert "Du får en SMS om et øjeblik." in said(root) and verbs(root)[-1] == "Hangup"
    await drain(client)
    messages = await outbox.messages()
    assert len(messages) == 1 and f"{PUBLIC_URL}/start/aarhus?via=sms" in messages[0]["body"]


async def test_statistics_count_a_municipality_s_calls(client: Client) -> None:
    from datetime import timedelta

    from tests.voice.support import OPEN, call_log

    await assistant_call(client)  # assistant, surveyed, scored 8
    await status(client, "completed", duration="120")
    await twilio_post(client, "/voice/sms", {"Body": "8"})
    await twilio_post(client, "/voice/incoming", {"CallSid": OTHER_CALL})  # straight to an agent
    await twilio_post(client, "/voice/menu", {"CallSid": OTHER_CALL, "Digits": "2"})
    await status(client, "completed", call_sid=OTHER_CALL, duration="60")
    await drain(client)

    stats = await call_log(client).statistics("aarhus", OPEN - timedelta(days=1), OPEN + timedelta(days=1))
    assert (stats.calls, stats.with_assistant, stats.transferred) == (2, 1, 1)
    assert (stats.surveys_sent, stats.survey_answers, stats.mean_score) == (1, 1, 8.0)
    assert stats.mean_duration_s == 90.0
    elsewhere = await call_log(client).statistics("skive", OPEN - timedelta(days=1), OPEN + timedelta(days=1))
    assert elsewhere.calls == 0 and elsewhere.mean_score is None


async def test_active_calls_are_a_metric(client: Client) -> None:
    async def active() -> str:
        text = await (await client.get("/metrics")).text()
        return next(line for line in text.splitlines() if line.startswith("muni_voice_calls_active "))

    await assistant_call(client)
    await assistant_call(client, OTHER_CALL)
    assert await active() == "muni_voice_calls_active 2.0"
    assert await status(client, "completed") == 204
    assert await status(client, "completed") == 204  # Twilio repeats: counted once
    assert await active() == "muni_voice_calls_active 1.0"

"""The daily figures counted from conversations scripted through the chat API and a signed voice call."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select

from conversation.log import offered_payloads, turns
from conversation.state import ENGINE
from conversation.statistics.aggregate import DailyRow, Statistics
from conversation.statistics.tables import stats_daily
from tests.voice.conftest import VoiceClientFactory
from tests.voice.support import OPEN, Clock, drain, twilio_post
from tests.web.support import Client, FakeRasa, bot_text, default_reply, muni_meta, say, start

DAY = date(2026, 3, 2)  # OPEN is Monday 2 March, 10:30 in Copenhagen: the centre is open
ASSISTANT_CALL, AGENT_CALL, MENU_CALL = ("CA" + c * 32 for c in "abc")


def answering(*items: dict[str, Any]) -> Any:
    """A fake Rasa reply: the greeting as usual, then these items for every message."""
    return lambda message: default_reply(message) if message["message"] == "/greeting" else list(items)


async def ask(client: Client, rasa: FakeRasa, reply: Any, channel: str = "web", text: str = "hej") -> dict[str, Any]:
    """Open a conversation and ask one question, which `reply` answers; the opened conversation."""
    rasa.reply = reply
    opened = await start(client, channel=channel)
    await say(client, opened, text=text)
    rasa.reply = default_reply
    return opened


async def script_the_day(client: Client, rasa: FakeRasa, clock: Clock) -> None:
    """Seven chats, a voice conversation with a survey answer, a call put through, a call that hung up."""
    resolved = await ask(client, rasa, default_reply, text="hvad koster et pas")  # guide: passport
    rating = await client.post(
        f"/api/v1/conversations/{resolved['conversation_id']}/rating",
        json={"score": 8},
        headers={"Authorization": f"Bearer {resolved['token']}"},
    )
    assert rating.status == 200, await rating.text()
    await ask(client, rasa, answering(bot_text("Det ved jeg ikke."), muni_meta(source="fallback", handoff=True)))
    await ask(client, rasa, answering(bot_text("Ring til os."), muni_meta(source="handoff", handoff=True)), "api")
    failed = muni_meta(topic="appointment_booking", source="fallback", handoff=True)
    await ask(client, rasa, answering(bot_text("Bookingen svarer ikke."), failed))
    booked = muni_meta(topic="appointment_booking", source="booking")
    await ask(client, rasa, answering(bot_text("Din tid er bestilt. Reference AB-12CD34."), booked))
    await start(client)  # opened, greeted, nothing asked
    rasa.reply = lambda m: [bot_text("Pas."), muni_meta(topic="passport", source="guide")]
    await start(client, channel="sms", topic="passport")  # an SMS link opened on its topic
    rasa.reply = default_reply

    await twilio_post(client, "/voice/incoming", {"CallSid": ASSISTANT_CALL})
    await twilio_post(client, "/voice/menu", {"CallSid": ASSISTANT_CALL, "Digits": "1"})
    await twilio_post(client, "/voice/assistant", {"CallSid": ASSISTANT_CALL, "SpeechResult": "hvad koster et pas"})
    await twilio_post(client, "/voice/status", {"CallSid": ASSISTANT_CALL, "CallStatus": "completed"})
    await drain(client)
    await twilio_post(client, "/voice/sms", {"Body": "9", "MessageSid": "SM1"})

    await twilio_post(client, "/voice/incoming", {"CallSid": AGENT_CALL})
    await twilio_post(client, "/voice/menu", {"CallSid": AGENT_CALL, "Digits": "2"})
    clock.now = OPEN + timedelta(seconds=45)
    await twilio_post(client, f"/voice/whisper?topic=&municipality=aarhus&call={AGENT_CALL}", {"CallSid": "CA" + "d" * 32})
    await twilio_post(client, "/voice/status", {"CallSid": AGENT_CALL, "CallStatus": "completed"})

    await twilio_post(client, "/voice/incoming", {"CallSid": MENU_CALL})
    await twilio_post(client, "/voice/status", {"CallSid": MENU_CALL, "CallStatus": "completed"})


def total(rows: list[DailyRow], name: str, **where: str) -> int:
    return sum(row.counts[name] for row in rows if all(getattr(row, k) == v for k, v in where.items()))


async def test_the_day_s_figures_count_what_happened_and_outlive_the_texts(
    make_voice_client: VoiceClientFactory, rasa: FakeRasa, clock: Clock
) -> None:
    client = await make_voice_client()
    await script_the_day(client, rasa, clock)
    statistics = Statistics(client.app[ENGINE])

    live = await statistics.daily(DAY, DAY, "aarhus")
    assert {(r.channel, r.topic) for r in live} == {
        ("web", "passport"), ("web", ""), ("web", "appointment_booking"), ("api", ""), ("sms", "passport"),
        ("voice", "passport"),
    }  # fmt: skip
    assert total(live, "conversations") == 8
    assert total(live, "conversations", channel="web") == 5
    assert total(live, "citizen_turns") == 6  # five typed chats and the spoken question
    assert total(live, "resolved") == 4  # the passport chat, the booking, the SMS link, the call
    assert total(live, "resolved", channel="web", topic="passport") == 1
    assert total(live, "handoffs") == 3
    assert total(live, "handoff_unanswered") == 1
    assert total(live, "handoff_asked_for_human", channel="api") == 1
    assert total(live, "handoff_booking_failure", topic="appointment_booking") == 1
    assert total(live, "handoff_safety") == 0
    assert total(live, "fallbacks") == 2
    assert total(live, "bookings") == 1
    assert total(live, "ratings", channel="voice") == 1 and total(live, "rating_9", channel="voice") == 1
    assert total(live, "ratings", channel="web") == total(live, "rating_8", channel="web") == 1
    assert total(live, "rating_sum") == 17

    [calls] = await statistics.voice_daily(DAY, DAY, "aarhus")
    assert calls.counts == {
        "calls": 3, "chose_assistant": 1, "chose_agent": 1, "transferred": 1, "hung_up_in_menu": 1,
        "in_hours": 3, "outside_hours": 0, "agent_waits": 1, "agent_wait_s_sum": 45, "agent_wait_within_60s": 1,
    }  # fmt: skip

    # Not before the day is over (and an hour for late turns); then once.
    assert await statistics.aggregate_closed_days(OPEN + timedelta(hours=12)) == []
    next_morning = OPEN + timedelta(days=1)
    assert await statistics.aggregate_closed_days(next_morning) == [DAY]
    assert await statistics.aggregate_closed_days(next_morning + timedelta(days=1)) == [DAY + timedelta(days=1)]
    async with client.app[ENGINE].begin() as connection:
        stored = (await connection.execute(select(stats_daily).where(stats_daily.c.day == DAY))).all()
        assert len(stored) == len(live)
        # Retention deletes the texts: the figures stay what they were.
        await connection.execute(delete(offered_payloads))
        await connection.execute(delete(turns))
    assert await statistics.daily(DAY, DAY, "aarhus") == live
    assert await statistics.voice_daily(DAY, DAY, "aarhus") == [calls]
    assert await statistics.daily(DAY, DAY, "skive") == []

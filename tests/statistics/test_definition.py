"""What "resolved" and each handoff reason mean, decided from a conversation's recorded turns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from conversation.statistics.aggregate import day_bounds, last_closed_day
from conversation.statistics.definition import Turn, classify, replies

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def citizen(text: str = "hvad koster et pas", at: int = 0) -> Turn:
    return Turn(T0 + timedelta(seconds=at), "citizen", text, None, None, False)


def bot(source: str, topic: str | None = None, handoff: bool = False, text: str = "svar", at: int = 0) -> Turn:
    return Turn(T0 + timedelta(seconds=at), "bot", text, topic, source, handoff)


GREETING = bot("conversation", text="Hej!")


def test_an_answer_from_a_guide_after_a_question_is_resolved() -> None:
    outcome = classify(None, [GREETING, citizen(at=1), bot("guide", "passport", at=2)])
    assert outcome.resolved and outcome.topic == "passport" and outcome.citizen_turns == 1
    assert outcome.handoff_reason is None and outcome.fallbacks == 0


def test_a_greeting_alone_is_not_resolved_nor_a_handoff() -> None:
    outcome = classify(None, [GREETING])
    assert not outcome.resolved and not outcome.handoff and outcome.topic == ""


def test_the_greeting_is_not_an_answer_to_the_question() -> None:
    assert not classify(None, [GREETING, citizen(at=1)]).resolved


def test_a_topic_link_answered_is_resolved_without_a_citizen_turn() -> None:
    outcome = classify("passport", [bot("guide", "passport")])
    assert outcome.resolved and outcome.citizen_turns == 0


def test_an_unanswered_last_question_is_not_resolved() -> None:
    turns = [citizen(), bot("guide", "passport", at=1), citizen(at=2), bot("fallback", at=3)]
    outcome = classify(None, turns)
    assert not outcome.resolved and outcome.handoff_reason == "unanswered" and outcome.fallbacks == 1


def test_each_handoff_reason_comes_from_the_reply_s_source_and_topic() -> None:
    cases = {
        "asked_for_human": bot("handoff", handoff=True),
        "unanswered": bot("fallback", handoff=True),
        "booking_failure": bot("fallback", "appointment_booking", handoff=True),
        "safety": bot("safety", "emergency"),
    }
    for reason, reply in cases.items():
        outcome = classify(None, [citizen(), reply])
        assert outcome.handoff_reason == reason and not outcome.resolved, reason


def test_the_first_handoff_gives_the_reason() -> None:
    turns = [citizen(), bot("safety", "emergency", at=1), citizen(at=2), bot("handoff", handoff=True, at=3)]
    assert classify(None, turns).handoff_reason == "safety"


def test_a_booking_counts_when_the_booking_answer_carries_a_reference() -> None:
    made = [citizen(), bot("booking", "appointment_booking", text="Din reference er AB-12CD34.", at=1)]
    asked = [citizen(), bot("booking", "appointment_booking", text="Hvilken dag passer dig?", at=1)]
    assert classify(None, made).bookings == 1 and classify(None, made).resolved
    assert classify(None, asked).bookings == 0


def test_messages_recorded_together_are_one_reply() -> None:
    turns = [citizen(), bot("guide", "passport", text="a", at=1), bot("guide", "passport", text="b", at=1)]
    assert [reply.texts for reply in replies(turns)] == [("a", "b")]


def test_a_danish_day_is_counted_in_danish_time_across_summer_time() -> None:
    assert day_bounds(date(2026, 3, 29)) == (
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # 23 hours: the clocks go forward
    )


def test_a_day_is_closed_an_hour_after_danish_midnight() -> None:
    midnight = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 3 March 00:00 in Copenhagen
    assert last_closed_day(midnight + timedelta(minutes=59)) == date(2026, 3, 1)
    assert last_closed_day(midnight + timedelta(hours=1)) == date(2026, 3, 2)

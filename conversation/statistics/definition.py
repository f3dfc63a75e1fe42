"""What the contact centre's figures mean, decided once from a conversation's recorded turns.

The console shows RESOLVED_DEFINITION beside the figures; `classify` is the same rule in code.
Only the turns' role, source, topic, handoff flag and (for a booking reference) the bot's own
text are read, so a conversation is classified the same way whatever the retention left.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

HandoffReason = Literal["asked_for_human", "unanswered", "safety", "booking_failure"]
HANDOFF_REASONS: tuple[HandoffReason, ...] = ("asked_for_human", "unanswered", "safety", "booking_failure")
HANDOFF_REASON_LABELS: dict[HandoffReason, str] = {
    "asked_for_human": "bad om et menneske",
    "unanswered": "ubesvaret",
    "safety": "sikkerhed",
    "booking_failure": "booking fejlede",
}
BOOKING_TOPIC = "appointment_booking"  # actions/booking.py: a failed booking is a fallback on this topic
# The booking system's references (booking/offers.py); a confirmation from the assistant carries one.
BOOKING_REFERENCE = re.compile(r"\b[A-Z]{2}-[A-Z0-9]{6}\b", re.IGNORECASE)
# The sources that mean the assistant answered the question itself.
ANSWERING_SOURCES = frozenset({"guide", "web", "booking", "conversation"})

RESOLVED_DEFINITION = (
    "En samtale er løst uden overdragelse (straksafklaret), når borgeren har skrevet mindst én gang "
    "eller samtalen er åbnet på et emne, assistenten har svaret selv (fra en vejledning, kommunens "
    "hjemmeside, booking eller samtalen), ingen af svarene har henvist til et menneske eller været et "
    "sikkerhedssvar, og det sidste svar ikke var et 'det ved jeg ikke' (fallback). Samtaler tælles på "
    "den dag (dansk tid), de begyndte, og først når dagen er slut."
)


@dataclass(frozen=True)
class Turn:
    """The parts of a recorded turn the figures read."""

    at: datetime
    role: str
    text: str
    topic: str | None
    source: str | None
    handoff: bool


@dataclass(frozen=True)
class Reply:
    """One answer from the bot: the consecutive bot turns recorded together."""

    topic: str | None
    source: str | None
    handoff: bool
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """One conversation as the figures count it."""

    topic: str  # "" when the conversation never got one
    citizen_turns: int
    resolved: bool
    handoff_reason: HandoffReason | None
    fallbacks: int
    bookings: int

    @property
    def handoff(self) -> bool:
        return self.handoff_reason is not None


def replies(turns: Sequence[Turn]) -> list[Reply]:
    """The bot's answers: bot turns recorded at one moment with one source and topic form one reply."""
    grouped: list[Reply] = []
    previous: Turn | None = None
    for turn in turns:
        if turn.role != "bot":
            previous = turn
            continue
        same = (
            previous is not None
            and previous.role == "bot"
            and (previous.at, previous.source, previous.topic, previous.handoff)
            == (turn.at, turn.source, turn.topic, turn.handoff)
        )
        if same:
            last = grouped[-1]
            grouped[-1] = Reply(last.topic, last.source, last.handoff, (*last.texts, turn.text))
        else:
            grouped.append(Reply(turn.topic, turn.source, turn.handoff, (turn.text,)))
        previous = turn
    return grouped


def handoff_reason(reply: Reply) -> HandoffReason | None:
    """Why a reply handed the citizen on, or None when it did not."""
    if reply.source == "safety":
        return "safety"
    if reply.source == "fallback":
        return "booking_failure" if reply.topic == BOOKING_TOPIC else "unanswered"
    if reply.handoff:
        return "asked_for_human"
    return None


def classify(opening_topic: str | None, turns: Sequence[Turn]) -> Outcome:
    """The conversation's outcome under RESOLVED_DEFINITION; the first handoff gives the reason."""
    answers = replies(turns)
    citizen_turns = sum(1 for turn in turns if turn.role == "citizen")
    reason = next((r for r in map(handoff_reason, answers) if r is not None), None)
    # The greeting is not an answer: only replies after the citizen's first turn count (or all, on a topic link).
    first = next((i for i, turn in enumerate(turns) if turn.role == "citizen"), len(turns))
    after_question = answers if opening_topic is not None else replies(turns[first:])
    answered = any(reply.source in ANSWERING_SOURCES for reply in after_question)
    asked = citizen_turns > 0 or opening_topic is not None
    last_unanswered = bool(answers) and answers[-1].source == "fallback"
    topic = opening_topic or next((r.topic for r in answers if r.topic), None) or ""
    return Outcome(
        topic=topic,
        citizen_turns=citizen_turns,
        resolved=asked and answered and reason is None and not last_unanswered,
        handoff_reason=reason,
        fallbacks=sum(1 for reply in answers if reply.source == "fallback"),
        bookings=sum(
            1 for reply in answers if reply.source == "booking" and any(BOOKING_REFERENCE.search(text) for text in reply.texts)
        ),
    )

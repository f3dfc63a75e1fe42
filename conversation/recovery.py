"""A turn whose outcome is unknown: finish an interrupted booking by its idempotency key before the citizen hears anything.

When the action server dies (or times out) after it asked the booking API to confirm or move, Rasa
drops the action's events: the tracker still holds the hold, the form is done, and the booking may
or may not exist. `action_finish_booking` run again confirms with the same Idempotency-Key
(`muni-{conversation}-{hold}`, actions/booking.py): the booking API returns the first booking if it
was made, or makes it now. Either way there is one booking, and the citizen is told which, never
"technical error" for a booking that went through.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from conversation.rasa import BotReply, RasaClient, RasaUnavailable, last_reply

logger = logging.getLogger("muni.conversation.recovery")

FINISH_BOOKING = "action_finish_booking"
# The bot's side of the contract (bot/domain/booking.yml): while a booking is being confirmed or
# moved, the form is done and these slots hold the mode and the hold the key is made from.
MODE_SLOT, HOLD_SLOT, FORM = "booking_mode", "booking_hold", "booking_form"
PENDING_MODES = frozenset({"new", "move"})
RETRY_EVERY_S = 1.0
TRACKER_WAIT_S = 2.0
DEFAULT_RECOVERY_WAIT_S = 30.0


class OutcomeStillUnknown(Exception):
    """A booking was being confirmed and it could not be checked in time."""


def booking_pending(tracker: Mapping[str, Any]) -> bool:
    """Whether the tracker shows a confirm or move that was sent but whose outcome never reached it."""
    slots = tracker.get("slots")
    loop = tracker.get("active_loop")
    if not isinstance(slots, Mapping):
        return False
    active = loop.get("name") if isinstance(loop, Mapping) else None
    return bool(slots.get(HOLD_SLOT)) and slots.get(MODE_SLOT) in PENDING_MODES and active != FORM


class BookingRecovery:
    """Checks an interrupted booking while the supervisor restarts the action server."""

    def __init__(self, rasa: RasaClient, wait_s: float = DEFAULT_RECOVERY_WAIT_S) -> None:
        self._rasa = rasa
        self._wait_s = wait_s

    async def recover(self, conversation_id: str, *, in_booking: bool = False) -> BotReply | None:
        """The bot's answer from finishing the booking again, or None when no booking was pending.

        Raise OutcomeStillUnknown when one was pending and no answer came within the wait, or when
        the conversation was in a booking (`in_booking`, from the log) and Rasa cannot be asked: Rasa
        killed mid-turn loses the turn, while the action server may have booked (a repeat of the
        citizen's answer then books with the same key, never twice).
        """
        deadline = time.monotonic() + self._wait_s
        try:
            tracker = await self._rasa.tracker(conversation_id, timeout_s=TRACKER_WAIT_S)
        except RasaUnavailable as error:
            logger.info("No tracker for conversation %s to check for a booking: %s", conversation_id, error)
            if in_booking:
                raise OutcomeStillUnknown(f"conversation {conversation_id}: in a booking, and Rasa cannot say") from error
            return None
        if not booking_pending(tracker):
            return None
        logger.warning("Conversation %s: a booking's outcome was lost; checking it by its idempotency key", conversation_id)
        attempts = 0
        while (left := deadline - time.monotonic()) > 0:
            attempts += 1
            try:
                reply = await self._rasa.execute(conversation_id, FINISH_BOOKING, timeout_s=left)
                if reply.messages:
                    logger.warning("Conversation %s: the booking was checked (attempt %d)", conversation_id, attempts)
                    return reply
                # Nothing said: the action server is still down, or the first run finished after all
                # (it was slow, not dead) and this one found nothing pending: its answer is in the tracker.
                tracker = await self._rasa.tracker(conversation_id, timeout_s=TRACKER_WAIT_S, events=True)
                if not booking_pending(tracker) and (said := last_reply(tracker)).messages:
                    logger.warning("Conversation %s: the booking finished late; its answer is given", conversation_id)
                    return said
            except RasaUnavailable as error:
                logger.info("Conversation %s: booking check attempt %d failed: %s", conversation_id, attempts, error)
            await asyncio.sleep(min(RETRY_EVERY_S, max(0.0, deadline - time.monotonic())))
        raise OutcomeStillUnknown(f"conversation {conversation_id}: no answer within {self._wait_s:g} s")

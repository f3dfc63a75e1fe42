"""What the conversation core needs: the database, Rasa, and the one secret its keys derive from."""

from __future__ import annotations

from dataclasses import dataclass, field

from conversation.recovery import DEFAULT_RECOVERY_WAIT_S
from muni.replies import DEFAULT_ANSWER_WAIT_S


@dataclass(frozen=True)
class ConversationSettings:
    secret_key: str = field(repr=False)
    database_url: str
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = DEFAULT_ANSWER_WAIT_S  # the gateway's wait for an answer
    # How long a turn whose booking outcome was lost waits to check it (conversation/recovery.py)
    booking_recovery_s: float = DEFAULT_RECOVERY_WAIT_S

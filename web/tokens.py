"""Conversation tokens: an HMAC of the conversation id, so the gateway stores no session secrets.

A token is good while its conversation is alive: it expires `TOKEN_IDLE_LIFETIME` after the
conversation's last turn (the conversation log knows when that was), so a token copied from
a shared computer or a browser history opens nothing the next day.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from muni.keys import KeyPurpose, derive_key

TOKEN_IDLE_LIFETIME = timedelta(hours=24)


def expired(last_active_at: datetime, now: datetime) -> bool:
    """Whether a conversation last active at `last_active_at` has outlived its token."""
    return now - last_active_at >= TOKEN_IDLE_LIFETIME


class TokenSigner:
    """Issues and verifies the bearer token that authorises messages to one conversation."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("the token secret key must not be empty")
        self._key = derive_key(secret_key, KeyPurpose.CONVERSATION_TOKEN)

    def __repr__(self) -> str:
        return "TokenSigner(<secret>)"

    def issue(self, conversation_id: str) -> str:
        """The token for conversation_id: urlsafe base64 of HMAC-SHA256, without padding."""
        digest = hmac.new(self._key, conversation_id.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def verify(self, conversation_id: str, token: str) -> bool:
        """True when token belongs to conversation_id (constant-time comparison)."""
        expected = self.issue(conversation_id).encode("ascii")
        try:
            given = token.encode("ascii")
        except UnicodeEncodeError:
            return False
        return hmac.compare_digest(expected, given)

"""Keys derived from the one secret (MUNI_SECRET_KEY), one per purpose, the same in every process.

Each purpose has its own label, so a key that leaks from one use (say, the phone-number
hash in an SMS log) says nothing about another (conversation tokens, sealed contacts).
"""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum


class KeyPurpose(Enum):
    """The label of each derived key; changing one invalidates what was made with it."""

    CONVERSATION_TOKEN = "muni/conversation-token/v1"
    PHONE_HASH = "muni/phone-number-hash/v1"
    SEALED_CONTACT = "muni/sealed-contact/v1"
    RASA_TOKEN = "muni/rasa-api-token/v1"
    ADMIN_CSRF = "muni/admin-csrf/v1"


def derive_key(secret: str, purpose: KeyPurpose) -> bytes:
    """32 bytes for `purpose`: HMAC-SHA256 of the purpose's label under the secret."""
    if not secret:
        raise ValueError("a key is derived from a non-empty secret")
    return hmac.new(secret.encode("utf-8"), purpose.value.encode("ascii"), hashlib.sha256).digest()


def rasa_token(secret: str) -> str:
    """The token Rasa's HTTP API requires (`rasa run --auth-token`, sent as `?token=`)."""
    return derive_key(secret, KeyPurpose.RASA_TOKEN).hex()

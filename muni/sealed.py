"""Contact details sealed for the booking confirmation, so they never sit in Muni in clear.

The gateway redacts phone numbers and e-mail addresses before the text reaches
Rasa, a log or a database. When a citizen's message holds one, the gateway
also passes it to Rasa as message metadata, sealed (Fernet: AES-128-CBC with
an HMAC, key derived from MUNI_SECRET_KEY by muni.keys). Rasa's tracker store keeps only
that token; the action server unseals it for one purpose: to hand it to the
municipality's booking system, which sends the confirmation.
"""

from __future__ import annotations

import base64
from typing import Final

from cryptography.fernet import Fernet, InvalidToken

from muni.keys import KeyPurpose, derive_key

METADATA_KEY: Final = "sealed_contact"
MAX_AGE_S = 2 * 60 * 60  # a conversation's contact detail is not usable after two hours


class ContactSealer:
    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, KeyPurpose.SEALED_CONTACT)))

    def seal(self, contact: str) -> str:
        return self._fernet.encrypt(contact.encode()).decode("ascii")

    def unseal(self, token: str, max_age_s: int = MAX_AGE_S) -> str | None:
        """The contact detail, or None when the token is forged, damaged or too old."""
        try:
            return self._fernet.decrypt(token.encode("ascii"), ttl=max_age_s).decode()
        except (InvalidToken, UnicodeError):
            return None


def contact_kind(contact: str) -> str:
    return "email" if "@" in contact else "phone"

"""What the web channels need to know: the public address, limits, and the embed and SMS-link settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from muni.keys import KeyPurpose, derive_key
from web.channels.settings import WebChannelSettings


@dataclass(frozen=True)
class WebSettings:
    secret_key: str = field(repr=False)  # conversation tokens and phone hashes derive from it (muni.keys)
    public_url: str = "http://127.0.0.1:8080"
    conversations_per_minute: int = 30  # new conversations per client IP
    messages_per_minute: int = 20  # messages per conversation
    channels: WebChannelSettings = field(default_factory=WebChannelSettings)  # embed, links, agents' keys

    @property
    def phone_hash_key(self) -> bytes:
        """The key citizens' phone numbers are hashed with, the same on every channel."""
        return derive_key(self.secret_key, KeyPurpose.PHONE_HASH)

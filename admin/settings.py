"""What the console needs from the gateway's settings: cookie security, its CSRF key, and the SMS links' keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from muni.keys import KeyPurpose, derive_key


@dataclass(frozen=True)
class AdminSettings:
    csrf_key: bytes = field(repr=False)
    secure_cookies: bool  # Secure cookies when the public URL is https (a plain-http dev set-up would lose them)
    public_url: str = "http://127.0.0.1:8080"  # where the agents' SMS links point
    phone_hash_key: bytes = field(default=b"", repr=False)  # the same key on every channel (muni.keys)

    @classmethod
    def from_gateway(cls, secret_key: str, public_url: str) -> AdminSettings:
        return cls(
            csrf_key=derive_key(secret_key, KeyPurpose.ADMIN_CSRF),
            secure_cookies=public_url.lower().startswith("https://"),
            public_url=public_url,
            phone_hash_key=derive_key(secret_key, KeyPurpose.PHONE_HASH),
        )

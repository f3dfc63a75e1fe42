"""What the console needs from the gateway's settings: cookie security and its CSRF key."""

from __future__ import annotations

from dataclasses import dataclass, field

from muni.keys import KeyPurpose, derive_key


@dataclass(frozen=True)
class AdminSettings:
    csrf_key: bytes = field(repr=False)
    secure_cookies: bool  # Secure cookies when the public URL is https (a plain-http dev set-up would lose them)

    @classmethod
    def from_gateway(cls, secret_key: str, public_url: str) -> AdminSettings:
        return cls(
            csrf_key=derive_key(secret_key, KeyPurpose.ADMIN_CSRF),
            secure_cookies=public_url.lower().startswith("https://"),
        )

"""What the console needs from the gateway's settings: cookie security, its CSRF key, and the SMS links' keys."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from muni.keys import KeyPurpose, derive_key
from muni.paths import in_var


@dataclass(frozen=True)
class AdminSettings:
    csrf_key: bytes = field(repr=False)
    secure_cookies: bool  # Secure cookies when the public URL is https (a plain-http dev set-up would lose them)
    public_url: str = "http://127.0.0.1:8080"  # where the agents' SMS links point
    phone_hash_key: bytes = field(default=b"", repr=False)  # the same key on every channel (muni.keys)
    crawl_dir: Path = field(default_factory=lambda: in_var(os.environ, "MUNI_CRAWL_DIR", "crawl"))  # the crawl stores

    @classmethod
    def from_gateway(cls, secret_key: str, public_url: str, environ: Mapping[str, str] = os.environ) -> AdminSettings:
        return cls(
            csrf_key=derive_key(secret_key, KeyPurpose.ADMIN_CSRF),
            secure_cookies=public_url.lower().startswith("https://"),
            public_url=public_url,
            phone_hash_key=derive_key(secret_key, KeyPurpose.PHONE_HASH),
            crawl_dir=in_var(environ, "MUNI_CRAWL_DIR", "crawl"),
        )

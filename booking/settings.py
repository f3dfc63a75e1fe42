"""Where each municipality's booking API is, read from the environment (secrets never from YAML)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_SANDBOX_URL = "http://127.0.0.1:8090"
DEFAULT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class BookingEndpoint:
    base_url: str  # e.g. https://frontdesk.example/aarhus/v1
    api_key: str = field(repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    sandbox: bool = False


def _env_name(slug: str) -> str:
    return slug.upper().replace("-", "_")


def real_api_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether any municipality has a real booking API (then `make run` starts no sandbox)."""
    return any(name.startswith("MUNI_BOOKING_URL_") for name in environ)


def booking_endpoint(slug: str, environ: Mapping[str, str] = os.environ) -> BookingEndpoint:
    """MUNI_BOOKING_URL_<SLUG> and MUNI_BOOKING_KEY_<SLUG>, else the sandbox (MUNI_BOOKING_SANDBOX_URL)."""
    raw_timeout = environ.get("MUNI_BOOKING_TIMEOUT_S", str(DEFAULT_TIMEOUT_S))
    try:
        timeout_s = float(raw_timeout)
    except ValueError:
        raise ValueError(f"MUNI_BOOKING_TIMEOUT_S must be a number of seconds, got {raw_timeout!r}") from None
    name = _env_name(slug)
    if url := environ.get(f"MUNI_BOOKING_URL_{name}"):
        key = environ.get(f"MUNI_BOOKING_KEY_{name}")
        if not key:
            raise ValueError(f"MUNI_BOOKING_URL_{name} is set but MUNI_BOOKING_KEY_{name} is missing")
        return BookingEndpoint(url.rstrip("/"), key, timeout_s)
    sandbox = environ.get("MUNI_BOOKING_SANDBOX_URL", DEFAULT_SANDBOX_URL).rstrip("/")
    return BookingEndpoint(
        f"{sandbox}/{slug}/v1", environ.get("MUNI_BOOKING_SANDBOX_KEY", "sandbox"), timeout_s, sandbox=True
    )

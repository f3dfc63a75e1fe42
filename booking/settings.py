"""Where each municipality's booking API is, and how long Muni may wait for it (secrets never from YAML)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from muni import env
from muni.env import SettingsError

DEFAULT_SANDBOX_URL = "http://127.0.0.1:8090"
DEFAULT_TIMEOUT_S = 2.0
RETRIES = 2  # a safe call is tried 1 + RETRIES times
BACKOFF_S = 0.2  # before retry n: n * BACKOFF_S
# What Rasa and the action server need besides the booking API within the gateway's wait.
TURN_OVERHEAD_S = 1.0


@dataclass(frozen=True)
class BookingEndpoint:
    base_url: str  # e.g. https://frontdesk.example/aarhus/v1
    api_key: str = field(repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    sandbox: bool = False


@dataclass(frozen=True)
class BookingSettings:
    """The time every booking call may take: one timeout per attempt, 1 + RETRIES attempts."""

    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> BookingSettings:
        return cls(timeout_s=env.seconds(environ, "MUNI_BOOKING_TIMEOUT_S", DEFAULT_TIMEOUT_S, maximum=30))

    @property
    def budget_s(self) -> float:
        """The longest one booking call can take, retries and back-off included."""
        attempts = 1 + RETRIES
        return attempts * self.timeout_s + sum(BACKOFF_S * n for n in range(1, attempts))

    def check_fits(self, answer_wait_s: float) -> None:
        """SettingsError unless a booking call finishes inside the gateway's wait for an answer.

        Otherwise a citizen could be told "technical error" while the booking goes through.
        """
        if self.budget_s + TURN_OVERHEAD_S > answer_wait_s:
            raise SettingsError(
                f"MUNI_BOOKING_TIMEOUT_S={self.timeout_s:g} lets one booking call take {self.budget_s:.1f} s "
                f"({1 + RETRIES} attempts), which with {TURN_OVERHEAD_S:g} s for the rest of the turn exceeds "
                f"MUNI_RASA_TIMEOUT_S={answer_wait_s:g} (the gateway's wait for an answer): lower the one "
                "or raise the other"
            )


def _env_name(slug: str) -> str:
    return slug.upper().replace("-", "_")


def real_api_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether any municipality has a real booking API (then `make run` starts no sandbox)."""
    return any(name.startswith("MUNI_BOOKING_URL_") for name in environ)


def booking_endpoint(slug: str, environ: Mapping[str, str] = os.environ) -> BookingEndpoint:
    """MUNI_BOOKING_URL_<SLUG> and MUNI_BOOKING_KEY_<SLUG>, else the SANDBOX (MUNI_BOOKING_SANDBOX_URL)."""
    timeout_s = BookingSettings.from_env(environ).timeout_s
    name = _env_name(slug)
    if url := environ.get(f"MUNI_BOOKING_URL_{name}"):
        key = environ.get(f"MUNI_BOOKING_KEY_{name}")
        if not key:
            raise SettingsError(f"MUNI_BOOKING_URL_{name} is set but MUNI_BOOKING_KEY_{name} is missing")
        return BookingEndpoint(url.rstrip("/"), key, timeout_s)
    sandbox = environ.get("MUNI_BOOKING_SANDBOX_URL", DEFAULT_SANDBOX_URL).rstrip("/")
    return BookingEndpoint(
        f"{sandbox}/{slug}/v1", environ.get("MUNI_BOOKING_SANDBOX_KEY", "sandbox"), timeout_s, sandbox=True
    )

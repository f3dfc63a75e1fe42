"""The gateway's configuration: one frozen value built from the environment."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from web.channels.settings import ChannelSettingsError, WebChannelSettings

SUPPORTED_DATABASE_DRIVERS = frozenset({"sqlite+aiosqlite", "postgresql+asyncpg"})
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(ValueError):
    """A variable of the environment is missing or invalid; the message names it."""


@dataclass(frozen=True)
class GatewaySettings:
    secret_key: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    database_url: str = "sqlite+aiosqlite:///var/muni.db"
    public_url: str = "http://127.0.0.1:8080"
    rasa_timeout_s: float = 8.0
    conversations_per_minute: int = 30  # new conversations per client IP
    messages_per_minute: int = 20  # messages per conversation
    channels: WebChannelSettings = field(default_factory=WebChannelSettings)  # embed, links, agents' keys

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> GatewaySettings:
        """Read and validate every MUNI_* variable; raise SettingsError naming the bad one."""
        defaults = cls(secret_key="")
        return cls(
            secret_key=_secret_key(environ),
            host=_host(environ, defaults.host),
            port=_port(environ, defaults.port),
            rasa_url=_http_url(environ, "MUNI_RASA_URL", defaults.rasa_url),
            actions_url=_http_url(environ, "MUNI_ACTIONS_URL", defaults.actions_url),
            database_url=_database_url(environ, defaults.database_url),
            public_url=_http_url(environ, "MUNI_PUBLIC_URL", defaults.public_url),
            rasa_timeout_s=_timeout(environ, "MUNI_RASA_TIMEOUT_S", defaults.rasa_timeout_s),
            conversations_per_minute=_positive_int(
                environ, "MUNI_CONVERSATIONS_PER_MINUTE", defaults.conversations_per_minute
            ),
            messages_per_minute=_positive_int(environ, "MUNI_MESSAGES_PER_MINUTE", defaults.messages_per_minute),
            channels=_channels(environ),
        )


def _channels(environ: Mapping[str, str]) -> WebChannelSettings:
    try:
        return WebChannelSettings.from_env(environ)
    except ChannelSettingsError as error:
        raise SettingsError(str(error)) from None


def _value(environ: Mapping[str, str], name: str) -> str | None:
    """The stripped value, or None when unset or blank (blank means 'use the default')."""
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return None
    return raw.strip()


def _secret_key(environ: Mapping[str, str]) -> str:
    # Not stripped: whitespace may be part of a secret, and the value is never echoed.
    raw = environ.get("MUNI_SECRET_KEY")
    if raw is None or not raw.strip():
        raise SettingsError(
            "MUNI_SECRET_KEY is required: a random secret of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters (e.g. `python -c "
            "'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    if len(raw) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            f"MUNI_SECRET_KEY is too short: {len(raw)} characters, at least {MIN_SECRET_KEY_LENGTH} are required"
        )
    return raw


def _host(environ: Mapping[str, str], default: str) -> str:
    value = _value(environ, "MUNI_HOST")
    if value is None:
        return default
    if any(ch.isspace() for ch in value) or "/" in value:
        raise SettingsError(f"MUNI_HOST must be a host name or IP address, got {value!r}")
    return value


def _port(environ: Mapping[str, str], default: int) -> int:
    value = _value(environ, "MUNI_PORT")
    if value is None:
        return default
    try:
        port = int(value)
    except ValueError:
        raise SettingsError(f"MUNI_PORT must be an integer, got {value!r}") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"MUNI_PORT must be between 1 and 65535, got {port}")
    return port


def _http_url(environ: Mapping[str, str], name: str, default: str) -> str:
    value = _value(environ, name)
    if value is None:
        return default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} must be an http(s) URL like http://127.0.0.1:5005, got {value!r}")
    if parts.query or parts.fragment:
        raise SettingsError(f"{name} must not contain a query or fragment, got {value!r}")
    return value.rstrip("/")


def _database_url(environ: Mapping[str, str], default: str) -> str:
    value = _value(environ, "MUNI_DATABASE_URL")
    if value is None:
        return default
    try:
        driver = make_url(value).drivername
    except ArgumentError:
        raise SettingsError(
            "MUNI_DATABASE_URL is not a database URL; expected e.g. "
            "sqlite+aiosqlite:///var/muni.db or postgresql+asyncpg://user@host/db"
        ) from None
    if driver not in SUPPORTED_DATABASE_DRIVERS:
        raise SettingsError(
            f"MUNI_DATABASE_URL uses the driver {driver!r}; supported: " + ", ".join(sorted(SUPPORTED_DATABASE_DRIVERS))
        )
    return value


def _timeout(environ: Mapping[str, str], name: str, default: float) -> float:
    value = _value(environ, name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise SettingsError(f"{name} must be a positive number of seconds, got {value!r}")
    return seconds


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = _value(environ, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
    if number < 1:
        raise SettingsError(f"{name} must be at least 1, got {number}")
    return number

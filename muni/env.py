"""Reading settings from the environment: one error type, and parsers that name the variable.

Every process (gateway, action server, crawler, CLI) builds one frozen settings object at
start with these; a missing or bad value stops it there with one line that names the
variable and what is expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import urlsplit

MIN_SECRET_KEY_LENGTH = 32


class SettingsError(ValueError):
    """A variable of the environment is missing or invalid; the message names it."""


def value(environ: Mapping[str, str], name: str) -> str | None:
    """The stripped value, or None when unset or blank (blank means 'use the default')."""
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return None
    return raw.strip()


def required(environ: Mapping[str, str], name: str, why: str) -> str:
    found = value(environ, name)
    if found is None:
        raise SettingsError(f"{name} is required {why}")
    return found


def secret_key(environ: Mapping[str, str]) -> str:
    """MUNI_SECRET_KEY: every key Muni uses is derived from it (muni.keys)."""
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


def host(environ: Mapping[str, str], name: str, default: str) -> str:
    found = value(environ, name)
    if found is None:
        return default
    if any(ch.isspace() for ch in found) or "/" in found:
        raise SettingsError(f"{name} must be a host name or IP address, got {found!r}")
    return found


def port(environ: Mapping[str, str], name: str, default: int) -> int:
    found = value(environ, name)
    if found is None:
        return default
    try:
        number = int(found)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {found!r}") from None
    if not 1 <= number <= 65535:
        raise SettingsError(f"{name} must be between 1 and 65535, got {number}")
    return number


def http_url(environ: Mapping[str, str], name: str, default: str) -> str:
    found = value(environ, name)
    if found is None:
        return default
    parts = urlsplit(found)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} must be an http(s) URL like http://127.0.0.1:5005, got {found!r}")
    if parts.query or parts.fragment:
        raise SettingsError(f"{name} must not contain a query or fragment, got {found!r}")
    return found.rstrip("/")


def http_urls(environ: Mapping[str, str], name: str, default: str) -> str:
    """One http(s) URL, or several separated by commas (each checked as `http_url` checks one)."""
    found = value(environ, name)
    if found is None:
        return default
    parts = [part.strip() for part in found.split(",")]
    if any(not part for part in parts):
        raise SettingsError(f"{name} must be URLs separated by commas, got {found!r}")
    return ",".join(http_url({name: part}, name, default) for part in parts)


def seconds(
    environ: Mapping[str, str], name: str, default: float, *, maximum: float | None = None
) -> float:
    """A positive, finite number of seconds (at most `maximum` when given)."""
    found = value(environ, name)
    if found is None:
        return default
    try:
        number = float(found)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {found!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise SettingsError(f"{name} must be a positive number of seconds, got {found!r}")
    if maximum is not None and number > maximum:
        raise SettingsError(f"{name} must be at most {maximum:g} seconds, got {found!r}")
    return number


def positive_int(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    found = value(environ, name)
    if found is None:
        return default
    try:
        number = int(found)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {found!r}") from None
    if number < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {number}")
    return number

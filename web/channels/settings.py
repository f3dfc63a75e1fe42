"""Settings of the web channels: extra embed origins, link domains, agents' API keys, SMS limits."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from muni.env import SettingsError

# National sites the guides link to; a municipality's own website is always allowed too.
DEFAULT_LINK_DOMAINS = (
    "borger.dk",
    "sundhed.dk",
    "skat.dk",
    "mitid.dk",
    "jobnet.dk",
    "nyidanmark.dk",
    "fstyr.dk",
    "personregistrering.dk",
    "vurderingsportalen.dk",
    "handicap.dk",
    "politi.dk",
)
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_SCOPE = re.compile(r"\*|[a-z][a-z0-9-]*(\+[a-z][a-z0-9-]*)*")


class ChannelSettingsError(SettingsError):
    """A variable of the environment is invalid; the message names it."""


@dataclass(frozen=True)
class AgentKey:
    """An API key of a contact centre ('*': every municipality) or of named municipalities."""

    name: str
    sha256: str = field(repr=False)
    municipalities: frozenset[str] | None  # None: every municipality

    def covers(self, municipality: str) -> bool:
        return self.municipalities is None or municipality in self.municipalities


@dataclass(frozen=True)
class WebChannelSettings:
    extra_origins: tuple[str, ...] = ()  # allowed for every municipality (a staging or test page)
    link_domains: tuple[str, ...] = DEFAULT_LINK_DOMAINS
    agent_keys: tuple[AgentKey, ...] = ()
    sms_per_key_per_hour: int = 200
    sms_per_recipient_per_hour: int = 3

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> WebChannelSettings:
        """MUNI_EMBED_EXTRA_ORIGINS, MUNI_LINK_DOMAINS, MUNI_AGENT_KEYS(_FILE), MUNI_SMS_PER_*_PER_HOUR."""
        defaults = cls()
        keys_text = environ.get("MUNI_AGENT_KEYS", "")
        if path := environ.get("MUNI_AGENT_KEYS_FILE", "").strip():
            try:
                keys_text += "\n" + Path(path).read_text(encoding="utf-8")
            except OSError as error:
                raise ChannelSettingsError(f"MUNI_AGENT_KEYS_FILE cannot be read: {error.strerror}") from None
        return cls(
            extra_origins=_origins(environ.get("MUNI_EMBED_EXTRA_ORIGINS", "")),
            link_domains=_domains(environ.get("MUNI_LINK_DOMAINS"), defaults.link_domains),
            agent_keys=parse_agent_keys(keys_text),
            sms_per_key_per_hour=_count(environ, "MUNI_SMS_PER_KEY_PER_HOUR", defaults.sms_per_key_per_hour),
            sms_per_recipient_per_hour=_count(
                environ, "MUNI_SMS_PER_RECIPIENT_PER_HOUR", defaults.sms_per_recipient_per_hour
            ),
        )


def parse_agent_keys(text: str) -> tuple[AgentKey, ...]:
    """Entries `name:scope:sha256-hex`, one per line or `;`-separated; scope `*` or `slug+slug`."""
    keys: list[AgentKey] = []
    for raw in re.split(r"[;\n]", text):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        parts = entry.split(":")
        if (
            len(parts) != 3
            or not _KEY_NAME.fullmatch(parts[0])
            or not _SCOPE.fullmatch(parts[1])
            or not _SHA256.fullmatch(parts[2].lower())
        ):
            name = parts[0] if _KEY_NAME.fullmatch(parts[0]) else "?"
            raise ChannelSettingsError(
                f"MUNI_AGENT_KEYS: the entry for {name!r} is not name:scope:sha256-hex "
                "(scope '*' or slugs joined by '+'; the hash is sha256 of the key, 64 hex digits)"
            )
        name, scope, digest = parts
        municipalities = None if scope == "*" else frozenset(scope.split("+"))
        keys.append(AgentKey(name=name, sha256=digest.lower(), municipalities=municipalities))
    if len({key.name for key in keys}) != len(keys):
        raise ChannelSettingsError("MUNI_AGENT_KEYS: two keys share a name")
    return tuple(keys)


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(part.rstrip("/") for part in re.split(r"[\s,]+", text) if part)
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise ChannelSettingsError(
                f"MUNI_EMBED_EXTRA_ORIGINS must list origins like http://127.0.0.1:8000, got {origin!r}"
            )
    return origins


def _domains(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if text is None or not text.strip():
        return default
    domains = tuple(part.lower() for part in re.split(r"[\s,]+", text) if part)
    for domain in domains:
        if not _DOMAIN.fullmatch(domain):
            raise ChannelSettingsError(f"MUNI_LINK_DOMAINS must list host names like borger.dk, got {domain!r}")
    return domains


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ChannelSettingsError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)

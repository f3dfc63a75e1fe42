"""The voice gateway's configuration: one frozen value built from the environment."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from muni.env import SettingsError
from muni.phones import is_e164

TransferKind = Literal["number", "sip", "queue"]
_SLUG = re.compile(r"[a-z0-9_-]{1,64}")
# A text-to-speech voice Twilio's <Say> knows: Amazon Polly's or Google's by name, or a basic one.
_VOICE_NAME = re.compile(r"(?:Polly|Google)\.[A-Za-z0-9-]{1,64}|man|woman|alice")
ENGLISH_VOICE = "Polly.Amy-Neural"  # British English, Amazon Polly's neural engine
ENGLISH_LANGUAGE = "en-GB"  # <Say> and the speech recognition of <Gather> on an English call


class VoiceSettingsError(SettingsError):
    """A voice variable is missing or invalid; the message names it."""


@dataclass(frozen=True)
class TransferTarget:
    """Where callers reach a person: a phone number, a SIP address, or a Twilio queue."""

    kind: TransferKind
    address: str

    @classmethod
    def parse(cls, value: str) -> TransferTarget:
        """'+4570200000', 'sip:agents@pbx.example.dk' or 'queue:hotline'."""
        if is_e164(value):
            return cls("number", value)
        if value.startswith(("sip:", "sips:")) and "@" in value:
            return cls("sip", value)
        if value.startswith("queue:") and re.fullmatch(r"[\w-]{1,64}", value[6:]):
            return cls("queue", value[6:])
        raise VoiceSettingsError(
            "MUNI_VOICE_TRANSFER must be an E.164 number (+4570200000), a SIP address "
            f"(sip:agents@pbx.example.dk) or queue:<name>, got {value!r}"
        )


@dataclass(frozen=True)
class VoiceSettings:
    auth_token: str = field(repr=False)
    public_url: str
    transfer: TransferTarget
    municipality: str  # the tenant of calls to an unlisted number
    numbers: Mapping[str, str] = field(default_factory=dict)  # called number -> municipality slug
    voice: str = "Polly.Naja"
    language: str = "da-DK"
    voice_en: str = ENGLISH_VOICE  # after "For English, press 9"
    assistant_timeout_s: float = 4.0
    max_reprompts: int = 2

    @classmethod
    def from_env(cls, public_url: str, environ: Mapping[str, str] = os.environ) -> VoiceSettings | None:
        """None when TWILIO_AUTH_TOKEN is unset: then /voice/ is not served at all (fail closed)."""
        token = environ.get("TWILIO_AUTH_TOKEN", "")
        if not token.strip():
            return None
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise VoiceSettingsError(f"MUNI_PUBLIC_URL must be the gateway's public http(s) URL, got {public_url!r}")
        transfer = _required(environ, "MUNI_VOICE_TRANSFER")
        municipality = _required(environ, "MUNI_VOICE_MUNICIPALITY")
        if not _SLUG.fullmatch(municipality):
            raise VoiceSettingsError(f"MUNI_VOICE_MUNICIPALITY must be a municipality slug, got {municipality!r}")
        return cls(
            auth_token=token,
            public_url=public_url.rstrip("/"),
            transfer=TransferTarget.parse(transfer),
            municipality=municipality,
            numbers=_numbers(environ.get("MUNI_VOICE_NUMBERS", "")),
            voice=environ.get("MUNI_VOICE_NAME", "").strip() or "Polly.Naja",
            language=environ.get("MUNI_VOICE_LANGUAGE", "").strip() or "da-DK",
            voice_en=_voice_name(environ, "MUNI_VOICE_NAME_EN", ENGLISH_VOICE),
            assistant_timeout_s=_seconds(environ, "MUNI_VOICE_ASSISTANT_TIMEOUT_S", 4.0),
        )

    def municipality_for(self, called: str) -> str:
        return self.numbers.get(called, self.municipality)


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise VoiceSettingsError(f"{name} is required when TWILIO_AUTH_TOKEN is set (the voice gateway is on)")
    return value


def _voice_name(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not _VOICE_NAME.fullmatch(value):
        raise VoiceSettingsError(f"{name} must be a Twilio text-to-speech voice such as {default}, got {value!r}")
    return value


def _numbers(raw: str) -> dict[str, str]:
    numbers: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        number, _, slug = item.partition("=")
        if not is_e164(number.strip()) or not _SLUG.fullmatch(slug.strip()):
            raise VoiceSettingsError(f"MUNI_VOICE_NUMBERS must be like +4589402000=aarhus,+4587875050=viborg; bad {item!r}")
        numbers[number.strip()] = slug.strip()
    return numbers


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise VoiceSettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    # Twilio hangs up on a webhook after 15 s; the assistant must leave time for the rest.
    if not math.isfinite(value) or not 0 < value <= 10:
        raise VoiceSettingsError(f"{name} must be between 0 and 10 seconds, got {raw!r}")
    return value

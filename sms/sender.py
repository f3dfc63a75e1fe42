"""Sending SMS: one port, a Twilio adapter and a sandbox outbox, chosen at start-up.

Citizens' phone numbers are never stored or logged in clear: a record carries a keyed
hash of the number (to correlate sends) and a masked form (last two digits) for staff.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from muni.clock import Clock, utc_now
from muni.env import SettingsError
from muni.paths import in_var
from muni.phones import is_e164, normalise
from muni.privacy import redact

logger = logging.getLogger("muni.sms")

MAX_BODY_CHARS = 640  # four concatenated GSM segments: longer texts are a bug, not a message
DEFAULT_TIMEOUT_S = 5.0
_REMEMBERED_KEYS = 10_000


class SmsError(Exception):
    """The message was not accepted for sending (bad input or the provider failed)."""


class SmsUnavailable(SmsError):
    """The provider failed or did not answer in time; the caller may try again with the same key."""


@dataclass(frozen=True)
class SentSms:
    """A message accepted for delivery. `duplicate`: an earlier send with the same key, returned again."""

    id: str
    idempotency_key: str
    to_hash: str
    to_masked: str
    status: str
    duplicate: bool = False


class SmsSender(Protocol):
    """The port every channel uses to text a citizen."""

    async def send(self, to: str, body: str, *, idempotency_key: str) -> SentSms: ...


@dataclass(frozen=True)
class TwilioCredentials:
    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str


@dataclass(frozen=True)
class SmsSettings:
    """Twilio credentials (all three, or none: then the sandbox outbox) and where the outbox lives."""

    hash_key: bytes = field(repr=False)
    outbox_path: Path
    twilio: TwilioCredentials | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_env(cls, hash_key: bytes, environ: Mapping[str, str] = os.environ) -> SmsSettings:
        """TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_FROM_NUMBER, MUNI_SMS_OUTBOX, MUNI_VAR_DIR."""
        names = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
        values = {name: (environ.get(name) or "").strip() for name in names}
        twilio: TwilioCredentials | None = None
        if values["TWILIO_ACCOUNT_SID"] or values["TWILIO_FROM_NUMBER"]:
            missing = [name for name, value in values.items() if not value]
            if missing:
                raise SettingsError(f"{', '.join(missing)} must be set too to send SMS through Twilio")
            if not is_e164(values["TWILIO_FROM_NUMBER"]):
                raise SettingsError("TWILIO_FROM_NUMBER must be an E.164 number like +4570203040")
            twilio = TwilioCredentials(
                values["TWILIO_ACCOUNT_SID"], values["TWILIO_AUTH_TOKEN"], values["TWILIO_FROM_NUMBER"]
            )
        outbox = in_var(environ, "MUNI_SMS_OUTBOX", "sms_outbox.jsonl")
        return cls(hash_key=hash_key, outbox_path=outbox, twilio=twilio)


def sms_sender(settings: SmsSettings) -> SmsSender:
    """Twilio when credentials are configured, otherwise the sandbox outbox."""
    if settings.twilio is not None:
        return TwilioSmsSender(settings.twilio, settings.hash_key, timeout_s=settings.timeout_s)
    logger.warning("No Twilio credentials: SMS go to the SANDBOX outbox %s and are not sent", settings.outbox_path)
    return OutboxSmsSender(settings.outbox_path, settings.hash_key)


def phone_hash(number: str, key: bytes) -> str:
    """A keyed hash of a normalised number: the same citizen correlates, the number cannot be read back."""
    return hmac.new(key, normalise_number(number).encode(), hashlib.sha256).hexdigest()[:32]


def mask_number(number: str) -> str:
    digits = normalise_number(number)
    return f"{digits[:3]}…{digits[-2:]}" if digits.startswith("+") else f"…{digits[-2:]}"


def normalise_number(number: str) -> str:
    """E.164 without spaces; an 8-digit Danish number gets +45."""
    normalised = normalise(number)
    if normalised is None:
        raise SmsError("the recipient is not a phone number")
    return normalised


def _check(body: str, idempotency_key: str) -> None:
    if not body.strip():
        raise SmsError("the message is empty")
    if len(body) > MAX_BODY_CHARS:
        raise SmsError(f"the message is longer than {MAX_BODY_CHARS} characters")
    if not idempotency_key or len(idempotency_key) > 200:
        raise SmsError("an idempotency key of 1-200 characters is required")


class OutboxSmsSender:
    """SANDBOX: nothing is sent. Messages are appended to a JSONL file that tests and staff read.

    One line per idempotency key, ever: a repeated key returns the first message as a duplicate.
    """

    def __init__(self, path: Path, hash_key: bytes, now: Clock = utc_now) -> None:
        self._path = path
        self._key = hash_key
        self._now = now
        self._lock = asyncio.Lock()
        self._sent: dict[str, SentSms] | None = None

    @property
    def path(self) -> Path:
        return self._path

    async def send(self, to: str, body: str, *, idempotency_key: str) -> SentSms:
        _check(body, idempotency_key)
        number = normalise_number(to)
        async with self._lock:
            sent = await self._index()
            if (earlier := sent.get(idempotency_key)) is not None:
                return SentSms(**{**asdict(earlier), "duplicate": True})
            message = SentSms(
                id=f"OUTBOX-{uuid.uuid4().hex}",
                idempotency_key=idempotency_key,
                to_hash=phone_hash(number, self._key),
                to_masked=mask_number(number),
                status="sandbox",
            )
            line = {**asdict(message), "body": redact(body), "at": self._now().isoformat(), "sandbox": True}
            del line["duplicate"]
            await asyncio.to_thread(self._append, json.dumps(line, ensure_ascii=False))
            sent[idempotency_key] = message
        logger.info("SANDBOX SMS %s to %s stored in the outbox", message.id, message.to_masked)
        return message

    async def messages(self) -> list[dict[str, Any]]:
        """Every stored message, oldest first (for tests and the admin)."""
        async with self._lock:
            return await asyncio.to_thread(self._read)

    async def _index(self) -> dict[str, SentSms]:
        if self._sent is None:
            fields = set(SentSms.__dataclass_fields__) - {"duplicate"}
            self._sent = {
                line["idempotency_key"]: SentSms(**{name: line[name] for name in fields})
                for line in await asyncio.to_thread(self._read)
            }
        return self._sent

    def _read(self) -> list[dict[str, Any]]:
        if not self._path.exists():
            return []
        with self._path.open(encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.strip()]

    def _append(self, line: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")


class TwilioSmsSender:
    """Twilio's Messaging API, called off the event loop with a timeout.

    Twilio has no idempotency key for messages: keys are remembered in this process
    (the last 10,000), so a retry of the same key is answered without a second message.
    """

    def __init__(
        self, credentials: TwilioCredentials, hash_key: bytes, *, timeout_s: float = DEFAULT_TIMEOUT_S, client: Any = None
    ) -> None:
        self._credentials = credentials
        self._key = hash_key
        self._timeout_s = timeout_s
        self._client = client
        self._sent: OrderedDict[str, SentSms] = OrderedDict()
        self._pending: dict[str, asyncio.Lock] = {}

    async def send(self, to: str, body: str, *, idempotency_key: str) -> SentSms:
        _check(body, idempotency_key)
        number = normalise_number(to)
        lock = self._pending.setdefault(idempotency_key, asyncio.Lock())
        try:
            async with lock:
                message = await self._send_once(number, body, idempotency_key)
        finally:
            if not lock.locked():
                self._pending.pop(idempotency_key, None)
        return message

    async def _send_once(self, number: str, body: str, idempotency_key: str) -> SentSms:
        if (earlier := self._sent.get(idempotency_key)) is not None:
            return SentSms(**{**asdict(earlier), "duplicate": True})
        try:
            sid, status = await asyncio.wait_for(
                asyncio.to_thread(self._create, number, body), timeout=self._timeout_s + 1.0
            )
        except TimeoutError:
            raise SmsUnavailable(f"Twilio did not answer within {self._timeout_s} s") from None
        message = SentSms(
            id=sid,
            idempotency_key=idempotency_key,
            to_hash=phone_hash(number, self._key),
            to_masked=mask_number(number),
            status=status,
        )
        self._sent[idempotency_key] = message
        while len(self._sent) > _REMEMBERED_KEYS:
            self._sent.popitem(last=False)
        logger.info("SMS %s to %s accepted by Twilio (%s)", sid, message.to_masked, status)
        return message

    def _create(self, number: str, body: str) -> tuple[str, str]:
        from twilio.base.exceptions import TwilioException

        try:
            created = self._twilio().messages.create(to=number, from_=self._credentials.from_number, body=body)
        except TwilioException as error:
            raise SmsUnavailable(f"Twilio refused the message: {type(error).__name__}") from None
        except OSError as error:
            raise SmsUnavailable(f"Twilio could not be reached: {type(error).__name__}") from None
        return str(created.sid), str(created.status)

    def _twilio(self) -> Any:
        # Built lazily (in a worker thread) so importing this module costs nothing.
        if self._client is None:
            from twilio.http.http_client import TwilioHttpClient
            from twilio.rest import Client

            self._client = Client(
                self._credentials.account_sid,
                self._credentials.auth_token,
                http_client=TwilioHttpClient(timeout=self._timeout_s),
            )
        return self._client

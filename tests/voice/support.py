"""Helpers for the voice tests: signed Twilio requests and TwiML read back as structure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import ClientResponse
from twilio.request_validator import RequestValidator

from tests.web.support import Client
from voice.calls import CallLog, CallRecord
from voice.state import CALLS, TASKS, VOICE_APP

TOKEN = "test-twilio-auth-token-0123456789"
PUBLIC_URL = "https://muni.example.dk"
AGENTS = "+4570200000"
CALLER = "+4520304050"
CALL_SID = "CA" + "0123456789abcdef" * 2
# Monday 2 March 2026, 10:30 in Copenhagen: the contact centre is open.
OPEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# Saturday 7 March 2026, 11:00 in Copenhagen: closed all day.
CLOSED = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = OPEN

    def __call__(self) -> datetime:
        return self.now


def signature(path: str, params: dict[str, str], token: str = TOKEN, base: str = PUBLIC_URL) -> str:
    return RequestValidator(token).compute_signature(base + path, params)


async def twilio_post(
    client: Client, path: str, params: dict[str, str] | None = None, *, sign: dict[str, str] | None = None, **kw: str
) -> ClientResponse:
    """POST as Twilio does: form-encoded, signed over MUNI_PUBLIC_URL + path (and `sign` if given)."""
    form = {"CallSid": CALL_SID, "From": CALLER, "To": "+4570101010", **(params or {})}
    headers = {"X-Twilio-Signature": signature(path, form if sign is None else sign, **kw)}
    return await client.post(path, data=form, headers=headers)


async def twiml(response: ClientResponse) -> ET.Element:
    assert response.status == 200, await response.text()
    assert response.content_type == "application/xml"
    root = ET.fromstring(await response.text())
    assert root.tag == "Response"
    return root


def said(element: ET.Element) -> list[str]:
    """Every <Say> text, in order, inside the element (Gathers included)."""
    return [say.text or "" for say in element.iter("Say")]


def spoken(element: ET.Element) -> str:
    return " ".join(said(element))


def gather(root: ET.Element) -> ET.Element:
    found = root.find("Gather")
    assert found is not None, ET.tostring(root, encoding="unicode")
    return found


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


async def drain(client: Client) -> None:
    """Wait for what the webhooks started in the background (SMS sends)."""
    await client.app[VOICE_APP][TASKS].drain()


def call_log(client: Client) -> CallLog:
    return client.app[VOICE_APP][CALLS]


async def call_record(client: Client, call_sid: str = CALL_SID) -> CallRecord | None:
    return await call_log(client).get(call_sid)

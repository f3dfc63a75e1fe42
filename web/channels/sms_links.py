"""POST /api/v1/sms-links: an agent texts a citizen a link to the assistant on a topic."""

from __future__ import annotations

import hashlib
import hmac
import re

from aiohttp import web

from conversation.state import DIRECTORY
from muni.phones import danish_e164
from sms.links import (
    IN_PROGRESS,
    KEY_REUSED,
    RATE_LIMITED,
    RECIPIENT_RATE_LIMITED,
    LinkRequest,
    LinkSent,
    SmsLinkRefused,
)
from sms.sender import SmsError, SmsUnavailable
from web.channels.settings import AgentKey
from web.channels.state import SMS_LINKS
from web.chat import bearer_token, json_object
from web.errors import ApiError
from web.state import SETTINGS
from web.wire import json_response

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,200}")


def danish_mobile(raw: object) -> str:
    """'+45 20 12 34 56', '0045…' or '20123456' as +4520123456; ApiError(400) for anything else."""
    number = danish_e164(raw) if isinstance(raw, str) else None
    if number is None:
        raise ApiError(400, "invalid_phone", "Feltet 'to' skal være et dansk telefonnummer med 8 cifre.")
    return number


def authenticate(request: web.Request) -> AgentKey:
    """The agent key whose SHA-256 matches the bearer token (401 for none)."""
    presented = hashlib.sha256(bearer_token(request).encode("utf-8")).hexdigest()
    found = None
    for key in request.app[SETTINGS].channels.agent_keys:
        # Every key is compared, in constant time, so timing tells nothing about which matched.
        if hmac.compare_digest(key.sha256, presented):
            found = key
    if found is None:
        raise ApiError(401, "invalid_api_key", "API-nøglen er ukendt.")
    return found


async def create_sms_link(request: web.Request) -> web.Response:
    """{"to", "municipality", "topic"} + Idempotency-Key → 202, or the first answer again for a retry."""
    agent = authenticate(request)
    idempotency_key = request.headers.get("Idempotency-Key", "")
    if not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise ApiError(400, "missing_idempotency_key", "Headeren Idempotency-Key (8-200 tegn) mangler.")
    body = await json_object(request)
    directory = request.app[DIRECTORY]
    municipality, topic = body.get("municipality"), body.get("topic")
    if not isinstance(municipality, str) or municipality not in directory.municipalities:
        raise ApiError(400, "unknown_municipality", "Feltet 'municipality' skal være en kommunes id.")
    if not agent.covers(municipality):
        raise ApiError(403, "municipality_not_allowed", "API-nøglen gælder ikke for denne kommune.")
    if not isinstance(topic, str) or topic not in directory.topics:
        raise ApiError(400, "unknown_topic", "Feltet 'topic' skal være et emne fra topics.yml.")
    number = danish_mobile(body.get("to"))
    ask = LinkRequest(
        sender=agent.name,
        idempotency_key=idempotency_key,
        number=number,
        municipality=municipality,
        municipality_name=directory.municipalities[municipality],
        topic=topic,
        topic_title=directory.topic_titles.get(topic, topic),
    )
    try:
        sent = await request.app[SMS_LINKS].send(ask)
    except SmsLinkRefused as refused:
        raise ApiError(*_REFUSALS[refused.reason]) from None
    except SmsUnavailable:
        raise ApiError(503, "sms_unavailable", "SMS kunne ikke sendes lige nu. Prøv igen med samme Idempotency-Key.") from None
    except SmsError as error:
        raise ApiError(400, "sms_refused", f"SMS'en blev afvist: {error}") from None
    return json_response(_answer(sent), status=200 if sent.duplicate else 202)


_REFUSALS = {
    RATE_LIMITED: (429, RATE_LIMITED, "For mange SMS fra denne API-nøgle. Vent lidt, og prøv igen."),
    RECIPIENT_RATE_LIMITED: (429, RECIPIENT_RATE_LIMITED, "Modtageren har fået mange SMS for nylig. Prøv senere."),
    KEY_REUSED: (422, KEY_REUSED, "Idempotency-Key er brugt til en anden forespørgsel."),
    IN_PROGRESS: (409, IN_PROGRESS, "Forespørgslen med denne Idempotency-Key er ved at blive sendt."),
}


def _answer(sent: LinkSent) -> dict[str, object]:
    return {
        "id": sent.record.message_id,
        "status": sent.record.status,
        "to": sent.record.recipient_masked,
        "url": sent.url,
        "duplicate": sent.duplicate,
    }

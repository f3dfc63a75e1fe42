"""POST /api/v1/sms-links: an agent texts a citizen a link to the assistant on a topic."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re

from aiohttp import web

from conversation.state import CLOCK, DIRECTORY
from muni.phones import danish_e164
from sms.sender import SmsError, SmsUnavailable, mask_number, phone_hash
from web.channels.links import deep_link
from web.channels.settings import AgentKey
from web.channels.sms_log import SmsLinkRecord
from web.channels.state import SMS_LIMITERS, SMS_LOG, SMS_SENDER
from web.chat import bearer_token, json_object
from web.errors import ApiError
from web.state import SETTINGS
from web.wire import json_response

logger = logging.getLogger("muni.web.sms_links")

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

    recipient = phone_hash(number, request.app[SETTINGS].phone_hash_key)
    fingerprint = hashlib.sha256(json.dumps([recipient, municipality, topic]).encode()).hexdigest()
    log = request.app[SMS_LOG]
    record = SmsLinkRecord(
        key_name=agent.name,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        recipient_hash=recipient,
        recipient_masked=mask_number(number),
        municipality=municipality,
        topic=topic,
        created_at=request.app[CLOCK](),
    )
    # Claimed before the limits are counted: a retry of a claimed request is never a flood.
    earlier = await log.find(agent.name, idempotency_key) or await log.claim(record)
    if earlier is None:
        limiters = request.app[SMS_LIMITERS]
        if not await limiters.per_key.acquire(agent.name):
            await log.release(agent.name, idempotency_key)
            raise ApiError(429, "rate_limited", "For mange SMS fra denne API-nøgle. Vent lidt, og prøv igen.")
        if not await limiters.per_recipient.acquire(recipient):
            await log.release(agent.name, idempotency_key)
            raise ApiError(429, "recipient_rate_limited", "Modtageren har fået mange SMS for nylig. Prøv senere.")
        return await _send(request, record, number)
    if earlier.fingerprint != fingerprint:
        raise ApiError(422, "idempotency_key_reused", "Idempotency-Key er brugt til en anden forespørgsel.")
    if earlier.status == "pending":
        raise ApiError(409, "in_progress", "Forespørgslen med denne Idempotency-Key er ved at blive sendt.")
    return json_response(_answer(request, earlier, duplicate=True), status=200)


async def _send(request: web.Request, record: SmsLinkRecord, number: str) -> web.Response:
    directory = request.app[DIRECTORY]
    name = directory.municipalities[record.municipality]
    title = directory.topic_titles.get(record.topic, record.topic)
    url = deep_link(request.app[SETTINGS].public_url, record.municipality, record.topic, via="sms")
    body = f"Hej. Her er linket fra {name} om {title.lower()}, som du talte med os om: {url}"
    log = request.app[SMS_LOG]
    try:
        sent = await request.app[SMS_SENDER].send(
            number, body, idempotency_key=f"sms-link:{record.key_name}:{record.idempotency_key}"
        )
    except SmsUnavailable as error:
        await log.release(record.key_name, record.idempotency_key)
        logger.warning("SMS link for %s/%s not sent: %s", record.municipality, record.topic, error)
        raise ApiError(503, "sms_unavailable", "SMS kunne ikke sendes lige nu. Prøv igen med samme Idempotency-Key.") from None
    except SmsError as error:
        await log.release(record.key_name, record.idempotency_key)
        raise ApiError(400, "sms_refused", f"SMS'en blev afvist: {error}") from None
    await log.complete(record.key_name, record.idempotency_key, sent.status, sent.id)
    logger.info("SMS link %s sent by %s to %s (%s/%s)", sent.id, record.key_name, sent.to_masked,
                record.municipality, record.topic)
    done = SmsLinkRecord(**{**record.__dict__, "status": sent.status, "message_id": sent.id})
    return json_response(_answer(request, done, duplicate=False), status=202)


def _answer(request: web.Request, record: SmsLinkRecord, *, duplicate: bool) -> dict[str, object]:
    return {
        "id": record.message_id,
        "status": record.status,
        "to": record.recipient_masked,
        "url": deep_link(request.app[SETTINGS].public_url, record.municipality, record.topic, via="sms"),
        "duplicate": duplicate,
    }

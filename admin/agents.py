"""The agents' page: text a citizen a link to the assistant on a topic, through the SMS-link service."""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from admin.guard import client, current_user, forbid, now
from admin.pages import municipality_nav, render
from admin.roles import User, may_send_sms_links, may_view_municipality
from admin.state import SMS_LINKS, STORES
from conversation.state import DIRECTORY
from muni.phones import danish_e164
from sms.links import IN_PROGRESS, KEY_REUSED, RATE_LIMITED, RECIPIENT_RATE_LIMITED, LinkRequest, SmsLinkRefused
from sms.sender import SmsError, SmsUnavailable

AGENT_SMS_PER_HOUR = 30  # per console user: an agent sends a link after a call, not in bulk
_REQUEST_ID = re.compile(r"[0-9a-f]{32}")
_REFUSALS = {
    RATE_LIMITED: (429, f"Du har sendt mange SMS den seneste time (højst {AGENT_SMS_PER_HOUR}). Vent lidt, og prøv igen."),
    RECIPIENT_RATE_LIMITED: (429, "Borgeren har fået mange SMS fra os for nylig. Prøv igen senere."),
    KEY_REUSED: (409, "Formularen er allerede brugt til en anden SMS. Hent siden igen, og udfyld den på ny."),
    IN_PROGRESS: (409, "Den SMS er ved at blive sendt. Hent siden igen om lidt for at se, om den er sendt."),
}


def _text(form: Any, name: str, limit: int = 64) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _sender(user: User) -> str:
    # Never an API key's name: those cannot contain ':'.
    return f"console:{user.id}"


def _checked_slug(request: web.Request, user: User) -> str:
    slug = request.match_info["slug"]
    if slug not in request.config_dict[DIRECTORY].municipalities:
        raise web.HTTPNotFound()
    if not may_view_municipality(user, slug) or not may_send_sms_links(user, slug):
        raise forbid()
    return slug


async def _page(
    request: web.Request,
    user: User,
    slug: str,
    *,
    entered: dict[str, str] | None = None,
    error: str | None = None,
    sent: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    directory = request.config_dict[DIRECTORY]
    names = directory.municipalities
    links = request.app[SMS_LINKS]
    choices = [(s, n) for s, n in sorted(names.items(), key=lambda item: item[1]) if may_send_sms_links(user, s)]
    topics = sorted(((t, directory.topic_titles.get(t, t)) for t in directory.topics), key=lambda item: item[1])
    fresh = {"municipality": slug, "topic": "", "phone": "", "request_id": uuid.uuid4().hex}
    return render(
        request,
        "agents.html",
        {
            "slug": slug,
            "name": names[slug],
            "municipality_nav": municipality_nav(slug, user, current="agents"),
            "choices": choices,
            "topics": topics,
            "topic_titles": directory.topic_titles,
            "sandbox": links.sandbox,
            "recent": await links.log.recent(slug),
            "entered": entered or fresh,
            "error": error,
            "sent": sent,
        },
        status=status,
    )


async def agents_page(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/agents – the form, whether texts really go out (or to the SANDBOX), the latest links."""
    user = current_user(request)
    return await _page(request, user, _checked_slug(request, user))


async def send_link(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/agents – send the link; the form again with a Danish error when it cannot."""
    user = current_user(request)
    slug = _checked_slug(request, user)
    form = await request.post()
    entered = {name: _text(form, name) for name in ("municipality", "topic", "phone", "request_id")}
    directory = request.config_dict[DIRECTORY]
    municipality, topic = entered["municipality"], entered["topic"]

    if municipality not in directory.municipalities or not may_send_sms_links(user, municipality):
        return await _page(request, user, slug, entered=entered, error="Vælg en kommune fra listen.", status=400)
    if topic not in directory.topics:
        return await _page(request, user, slug, entered=entered, error="Vælg et emne fra listen.", status=400)
    number = danish_e164(entered["phone"])
    if number is None:
        return await _page(
            request, user, slug, entered=entered, status=400,
            error="Telefonnummeret skal være et dansk nummer med 8 cifre, fx 20 12 34 56.",
        )
    if not _REQUEST_ID.fullmatch(entered["request_id"]):
        entered["request_id"] = uuid.uuid4().hex
        return await _page(request, user, slug, entered=entered, error="Formularen var ufuldstændig. Send den igen.", status=400)
    ask = LinkRequest(
        sender=_sender(user),
        idempotency_key=entered["request_id"],
        number=number,
        municipality=municipality,
        municipality_name=directory.municipalities[municipality],
        topic=topic,
        topic_title=directory.topic_titles.get(topic, topic),
    )
    links = request.app[SMS_LINKS]
    try:
        sent = await links.send(ask)
    except SmsLinkRefused as refused:
        status, message = _REFUSALS[refused.reason]
        await _audit_refusal(request, user, ask, refused.reason)
        return await _page(request, user, slug, entered=entered, error=message, status=status)
    except SmsUnavailable:
        # The same request id is kept in the form: sending it again cannot text the citizen twice.
        return await _page(
            request, user, slug, entered=entered, status=503,
            error="SMS kunne ikke sendes lige nu. Prøv igen om lidt; borgeren får kun én SMS.",
        )
    except SmsError:
        return await _page(request, user, slug, entered=entered, error="SMS-tjenesten afviste beskeden.", status=400)
    if not sent.duplicate:
        await request.app[STORES].audit.record(
            "sms_link.sent",
            now(request),
            actor_id=user.id,
            client=client(request),
            municipality=municipality,
            topic=topic,
            to=sent.record.recipient_masked,
            message_id=sent.record.message_id,
            sandbox=links.sandbox,
        )
    summary = {
        "to": sent.record.recipient_masked,
        "municipality": directory.municipalities[municipality],
        "topic": directory.topic_titles.get(topic, topic),
        "url": sent.url,
        "duplicate": sent.duplicate,
        "sandbox": links.sandbox,
    }
    return await _page(request, user, slug, sent=summary)


async def _audit_refusal(request: web.Request, user: User, ask: LinkRequest, reason: str) -> None:
    await request.app[STORES].audit.record(
        "sms_link.refused",
        now(request),
        actor_id=user.id,
        client=client(request),
        municipality=ask.municipality,
        topic=ask.topic,
        reason=reason,
    )

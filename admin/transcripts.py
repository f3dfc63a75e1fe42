"""GET /admin/m/{slug}/conversations (list, filters, ?q= search) and one conversation's redacted turns."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from admin.figures import CHANNEL_LABELS, PeriodError, parse_period
from admin.guard import client, current_user, forbid, now
from admin.pages import municipality_nav, render
from admin.roles import User, may_read_transcripts
from admin.state import STORES
from conversation.state import DIRECTORY, ENGINE
from conversation.statistics.aggregate import danish_day
from conversation.statistics.definition import HANDOFF_REASON_LABELS
from conversation.statistics.transcripts import PAGE, Transcripts
from muni.privacy import redact

MAX_QUERY = 200
ROLE_LABELS = {"citizen": "Borger", "bot": "Assistent"}


def _municipality(request: web.Request, user: User) -> str:
    slug = request.match_info["slug"]
    if slug not in request.config_dict[DIRECTORY].municipalities:
        raise web.HTTPNotFound()
    if not may_read_transcripts(user, slug):
        raise forbid()
    return slug


async def conversation_list(request: web.Request) -> web.Response:
    """The municipality's conversations, newest first; every view is audited (the search words redacted)."""
    user = current_user(request)
    slug = _municipality(request, user)
    directory = request.config_dict[DIRECTORY]
    query = request.query.get("q", "")[:MAX_QUERY]
    channel = request.query.get("channel") or None
    topic = request.query.get("topic") or None
    offset = int(request.query["offset"]) if request.query.get("offset", "").isdigit() else 0
    context: dict[str, Any] = {
        "slug": slug,
        "name": directory.municipalities[slug],
        "municipality_nav": municipality_nav(slug, current_user(request), current="conversations"),
        "channels": CHANNEL_LABELS,
        "topics": sorted(directory.topic_titles.items(), key=lambda item: item[1]),
        "topic_titles": directory.topic_titles,
        "filters": {"q": query, "channel": channel, "topic": topic, **{k: request.query.get(k, "") for k in ("from", "to")}},
        "reasons": HANDOFF_REASON_LABELS,
    }
    try:
        period = parse_period(request.query, danish_day(now(request)), default_days=7)
    except PeriodError as error:
        return render(request, "conversations.html", {**context, "error": str(error), "items": []}, status=400)
    items = await Transcripts(request.config_dict[ENGINE]).listing(
        slug, period.first, period.last, channel=channel if channel in CHANNEL_LABELS else None, topic=topic,
        query=query, offset=offset,
    )  # fmt: skip
    await request.app[STORES].audit.record(
        "transcripts.list", now(request), actor_id=user.id, client=client(request), municipality=slug,
        first=period.first.isoformat(), last=period.last.isoformat(), q=redact(query), shown=len(items),
    )  # fmt: skip
    return render(
        request,
        "conversations.html",
        {
            **context,
            "error": None,
            "period": period,
            "items": items,
            "next_offset": offset + PAGE if len(items) == PAGE else None,
        },
    )


async def conversation(request: web.Request) -> web.Response:
    """One conversation with every turn, its topic and source, and the rating; audited."""
    user = current_user(request)
    slug = _municipality(request, user)
    conversation_id = request.match_info["conversation_id"][:36]
    transcript = await Transcripts(request.config_dict[ENGINE]).transcript(slug, conversation_id)
    if transcript is None:
        raise web.HTTPNotFound()
    await request.app[STORES].audit.record(
        "transcripts.view", now(request), actor_id=user.id, client=client(request), municipality=slug,
        conversation=conversation_id,
    )  # fmt: skip
    directory = request.config_dict[DIRECTORY]
    return render(
        request,
        "conversation.html",
        {
            "slug": slug,
            "name": directory.municipalities[slug],
            "municipality_nav": municipality_nav(slug, current_user(request), current="conversations"),
            "t": transcript,
            "channels": CHANNEL_LABELS,
            "topic_titles": directory.topic_titles,
            "reasons": HANDOFF_REASON_LABELS,
            "roles": ROLE_LABELS,
        },
    )

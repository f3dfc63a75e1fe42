"""GET /admin/m/{slug}/unanswered – the work list of questions the assistant could not answer; POST marks a group handled."""

from __future__ import annotations

from aiohttp import web

from admin.guard import client, current_user, forbid, now
from admin.pages import municipality_nav, render
from admin.roles import may_read_transcripts
from admin.state import STORES
from conversation.state import DIRECTORY, ENGINE
from conversation.statistics.unanswered import UnansweredQuestions


def _municipality(request: web.Request) -> tuple[int, str]:
    user = current_user(request)
    slug = request.match_info["slug"]
    if slug not in request.config_dict[DIRECTORY].municipalities:
        raise web.HTTPNotFound()
    if not may_read_transcripts(user, slug):  # the questions are citizens' words (redacted): as transcripts
        raise forbid()
    return user.id, slug


async def work_list(request: web.Request) -> web.Response:
    _, slug = _municipality(request)
    directory = request.config_dict[DIRECTORY]
    groups = await UnansweredQuestions(request.config_dict[ENGINE]).work_list(slug)
    return render(
        request,
        "unanswered.html",
        {
            "slug": slug,
            "name": directory.municipalities[slug],
            "municipality_nav": municipality_nav(slug, current_user(request), current="unanswered"),
            "groups": groups,
            "topic_titles": directory.topic_titles,
            "handled": request.query.get("handled", "").isdigit(),
        },
    )


async def mark_handled(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/unanswered/{group_id}/handled – off the list (audited); 404 for another's group."""
    user_id, slug = _municipality(request)
    group_id = int(request.match_info["group_id"])
    at = now(request)
    closed = await UnansweredQuestions(request.config_dict[ENGINE]).mark_handled(slug, group_id, user_id, at)
    if closed == 0:
        raise web.HTTPNotFound()
    await request.app[STORES].audit.record(
        "unanswered.handled", at, actor_id=user_id, client=client(request), municipality=slug,
        before={"group": group_id, "open": closed}, after={"group": group_id, "open": 0},
    )  # fmt: skip
    raise web.HTTPSeeOther(f"/admin/m/{slug}/unanswered?handled={group_id}")

"""A municipality's own guides: write one for a topic the shared set lacks, or override a shared one.

The assistant uses it for that municipality only (GuideLibrary.guide); the preview renders the
guide with the assistant's own code before anything is published.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from admin.content import municipality_slug
from admin.guard import client, current_user, forbid, now
from admin.local_content import guide_library, published_values
from admin.pages import municipality_nav, render
from admin.roles import User, may_edit_content
from admin.state import STORES
from conversation.state import DIRECTORY
from knowledge import Guide
from knowledge.kinds import InvalidValue
from knowledge.local_guides import MAX_LINE, MAX_TITLE, as_guide, check_guide
from knowledge.published import to_guides

# Topics answered by something else than a guide: the safety screen, and the conversation's own turns.
NOT_GUIDES = frozenset({"emergency", "greeting", "goodbye", "thanks", "bot_challenge"})


@dataclass(frozen=True)
class TopicGuide:
    topic: str
    title: str
    source: str  # "console", "file" (the municipality's own, from its tenant file), "shared", "none"


SOURCE_LABELS = {
    "console": "Kommunens egen (skrevet her)",
    "file": "Kommunens egen (fra konsortiet)",
    "shared": "Fælles vejledning",
    "none": "Ingen vejledning",
}


async def _own(request: web.Request, slug: str) -> dict[str, Guide]:
    library = guide_library()
    raw = await request.app[STORES].content.guides(slug)
    return to_guides(raw, library.variables).get(slug, {})


def _listing(slug: str, own: dict[str, Guide]) -> list[TopicGuide]:
    library = guide_library()
    municipality = library.municipality(slug)
    found = []
    for topic in library.topics.values():
        if topic.id in NOT_GUIDES:
            continue
        if topic.id in own:
            source = "console"
        elif topic.id in municipality.guides:
            source = "file"
        else:
            source = "shared" if topic.id in library.guides else "none"
        found.append(TopicGuide(topic.id, topic.title, source))
    return found


def _topic(request: web.Request) -> str:
    topic = request.match_info["topic"]
    if topic not in guide_library().topics or topic in NOT_GUIDES:
        raise web.HTTPNotFound()
    return topic


async def guide_list(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/guides – every topic and whose guide the assistant uses for it."""
    user = current_user(request)
    slug = municipality_slug(request, user)
    return render(
        request,
        "guides.html",
        {
            "slug": slug,
            "name": request.config_dict[DIRECTORY].municipalities[slug],
            "topics": _listing(slug, await _own(request, slug)),
            "labels": SOURCE_LABELS,
            "editable": may_edit_content(user, slug),
            "municipality_nav": municipality_nav(slug, current_user(request), current="guides"),
        },
    )


async def _guide_page(
    request: web.Request,
    user: User,
    slug: str,
    topic: str,
    *,
    entered: dict[str, str] | None = None,
    error: str | None = None,
    after: Guide | None = None,
    status: int = 200,
) -> web.Response:
    library = guide_library()
    own = await _own(request, slug)
    values = await published_values(request, slug)
    current = library.answer(topic, slug, values=values, guides=own) if _answerable(slug, topic, own) else None
    preview = None if after is None else library.answer(topic, slug, values=values, guides={**own, topic: after})
    shown = own.get(topic) or library.municipality(slug).guides.get(topic) or library.guides.get(topic)
    return render(
        request,
        "guide.html",
        {
            "slug": slug,
            "name": request.config_dict[DIRECTORY].municipalities[slug],
            "topic": topic,
            "topic_title": library.topics[topic].title,
            "current": current,
            "preview": preview,
            "has_own": topic in own,
            "entered": entered
            or {"title": shown.title if shown else "", "lines": "\n".join(shown.lines) if shown else ""},
            "error": error,
            "editable": may_edit_content(user, slug),
            "max_title": MAX_TITLE,
            "max_text": MAX_LINE * 4,
            "municipality_nav": municipality_nav(slug, current_user(request), current="guides"),
        },
        status=status,
    )


def _answerable(slug: str, topic: str, own: dict[str, Guide]) -> bool:
    library = guide_library()
    return topic in own or topic in library.municipality(slug).guides or topic in library.guides


async def guide_form(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/guides/{topic} – the guide the assistant uses now, and (for editors) a form."""
    user = current_user(request)
    slug = municipality_slug(request, user)
    return await _guide_page(request, user, slug, _topic(request))


async def change_guide(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/guides/{topic} – preview, publish or remove the municipality's own guide (audited)."""
    user = current_user(request)
    slug = municipality_slug(request, user)
    if not may_edit_content(user, slug):
        raise forbid()
    topic = _topic(request)
    form = await request.post()
    action = form.get("action")
    store, audit, at = request.app[STORES].content, request.app[STORES].audit, now(request)
    if action == "remove":
        before = await store.publish_guide(slug, topic, None, at, actor_id=user.id)
        if before is not None:
            await audit.record(
                "guide.removed", at, actor_id=user.id, client=client(request), municipality=slug, topic=topic,
                before={"title": before[0], "lines": before[1]},
            )  # fmt: skip
        raise web.HTTPSeeOther(f"/admin/m/{slug}/guides")
    title, text = form.get("title"), form.get("lines")
    entered = {"title": title if isinstance(title, str) else "", "lines": text if isinstance(text, str) else ""}
    library = guide_library()
    try:
        checked = check_guide(topic, entered["title"], entered["lines"], library.variables)
    except InvalidValue as error:
        return await _guide_page(request, user, slug, topic, entered=entered, error=str(error), status=400)
    if action == "preview":
        return await _guide_page(request, user, slug, topic, entered=entered, after=as_guide(topic, checked, library.variables))
    before = await store.publish_guide(slug, topic, checked, at, actor_id=user.id)
    await audit.record(
        "guide.published", at, actor_id=user.id, client=client(request), municipality=slug, topic=topic,
        before=None if before is None else {"title": before[0], "lines": before[1]},
        after={"title": checked[0], "lines": checked[1]},
    )  # fmt: skip
    raise web.HTTPSeeOther(f"/admin/m/{slug}/guides/{topic}")

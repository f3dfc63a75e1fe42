"""Local content ("kommuneinstans"): a municipality's values per topic, editing with a preview, history, revert.

The preview renders with the assistant's own code (knowledge.GuideLibrary.answer), given the
values published now ("before") and with the one change ("after").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from admin.guard import client, current_user, forbid, now
from admin.local_content import STATUS_LABELS, Section, editable, gaps, guide_library, published_values, sections
from admin.pages import municipality_nav, render
from admin.roles import User, may_edit_content, may_read_content
from admin.state import STORES
from admin.suggestions import State
from conversation.state import DIRECTORY
from knowledge import Answer, UnknownMunicipality, Value, Variable
from knowledge.kinds import MAX_TEXT, InvalidValue, Scalar
from knowledge.values import format_value


def municipality_slug(request: web.Request, user: User) -> str:
    """The slug of a municipality whose content `user` may read; 404 or 403 otherwise."""
    slug = request.match_info["slug"]
    if slug not in request.config_dict[DIRECTORY].municipalities:
        raise web.HTTPNotFound()
    if not may_read_content(user, slug):
        raise forbid()
    try:
        guide_library().municipality(slug)
    except UnknownMunicipality:
        raise web.HTTPNotFound() from None
    return slug


async def _content_page(
    request: web.Request,
    user: User,
    slug: str,
    *,
    errors: Mapping[str, str] | None = None,
    entered: Mapping[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    library = guide_library()
    listed = sections(library, slug, await published_values(request, slug))
    editable = may_edit_content(user, slug)
    suggested = await _suggestions(request, slug, listed) if editable else {}
    entered = dict(entered or {})
    drafted = None
    if editable and (draft := request.query.get("draft", "")).isdigit():
        suggestion = await request.app[STORES].suggestions.get(int(draft))
        if suggestion is not None and suggestion.municipality == slug and suggestion.variable not in entered:
            entered[suggestion.variable] = format_value(suggestion.value)
            drafted = suggestion.variable
    return render(
        request,
        "content.html",
        {
            "slug": slug,
            "name": request.config_dict[DIRECTORY].municipalities[slug],
            "sections": listed,
            "gaps": gaps(listed),
            "labels": STATUS_LABELS,
            "editable": editable,
            "errors": errors or {},
            "entered": entered,
            "suggestions": suggested,
            "drafted": drafted,
            "rejected": request.query.get("rejected"),
            "max_text": MAX_TEXT,
            "municipality_nav": municipality_nav(slug, current_user(request), current="content"),
        },
        status=status,
    )


@dataclass(frozen=True)
class ShownSuggestion:
    id: int
    text: str
    url: str
    title: str
    snippet: str
    in_form: bool  # accepted: put into the form once, not published


async def _suggestions(request: web.Request, slug: str, listed: list[Section]) -> dict[str, list[ShownSuggestion]]:
    """variable -> the website's suggestions that differ from the value the assistant uses now."""
    current = {row.variable.name: row.value for section in listed for row in section.rows if row.first}
    shown: dict[str, list[ShownSuggestion]] = {}
    for variable, found in (await request.app[STORES].suggestions.shown(slug)).items():
        value = current.get(variable)
        for suggestion in found:
            if value is not None and value.value == suggestion.value and not value.demo:
                continue
            link = suggestion.url if suggestion.url.startswith(("https://", "http://")) else ""
            shown.setdefault(variable, []).append(
                ShownSuggestion(
                    suggestion.id, format_value(suggestion.value), link, suggestion.title or suggestion.url,
                    suggestion.snippet, suggestion.state == State.ACCEPTED,
                )  # fmt: skip
            )
    return shown


async def content_page(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/content – the values per topic, each with its status and (for editors) a form."""
    user = current_user(request)
    return await _content_page(request, user, municipality_slug(request, user))


async def preview_topic(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/content/preview?topic=… – what a citizen is told on the topic now."""
    user = current_user(request)
    slug = municipality_slug(request, user)
    library = guide_library()
    topic = request.query.get("topic", "")
    if topic not in library.topics or not library.has_guide(topic, slug):
        raise web.HTTPNotFound()
    answer = library.answer(topic, slug, values=await published_values(request, slug))
    return render(
        request,
        "content_preview.html",
        {
            "slug": slug,
            "name": request.config_dict[DIRECTORY].municipalities[slug],
            "previews": [(library.topics[topic].title, answer, None)],
            "change": None,
            "municipality_nav": municipality_nav(slug, current_user(request), current="content"),
        },
    )


async def change_value(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/content/{variable} – `action=preview` shows before and after; `publish` publishes."""
    user = current_user(request)
    slug = municipality_slug(request, user)
    if not may_edit_content(user, slug):
        raise forbid()
    library = guide_library()
    variable = library.variables.get(request.match_info["variable"])
    if variable is None or not editable(variable):
        raise web.HTTPNotFound()
    form = await request.post()
    raw = form.get("value")
    entered = raw if isinstance(raw, str) else ""
    try:
        value = variable.check(entered)
    except InvalidValue as error:
        return await _content_page(
            request, user, slug, errors={variable.name: str(error)}, entered={variable.name: entered[: MAX_TEXT * 2]}, status=400
        )
    if form.get("action") == "preview":
        return await _preview_change(request, slug, variable, value, entered)
    at = now(request)
    change = await request.app[STORES].content.publish(slug, variable.name, value, at, actor_id=user.id)
    if change is not None:
        await request.app[STORES].audit.record(
            "content.published",
            at,
            actor_id=user.id,
            client=client(request),
            municipality=slug,
            variable=variable.name,
            before={"value": change.before},
            after={"value": change.after},
        )
    raise web.HTTPSeeOther(f"/admin/m/{slug}/content?published={variable.name}#v-{variable.name}")


async def _preview_change(request: web.Request, slug: str, variable: Variable, value: Scalar, entered: str) -> web.Response:
    library = guide_library()
    before = await published_values(request, slug)
    after = {**before, variable.name: Value(value)}
    previews: list[tuple[str, Answer, Answer | None]] = []
    for topic in library.topics.values():
        if library.has_guide(topic.id, slug) and variable.name in library.guide(topic.id, slug).variables():
            previews.append(
                (topic.title, library.answer(topic.id, slug, values=before), library.answer(topic.id, slug, values=after))
            )
    return render(
        request,
        "content_preview.html",
        {
            "slug": slug,
            "name": request.config_dict[DIRECTORY].municipalities[slug],
            "previews": previews,
            "change": {"variable": variable, "value": Value(value).text(), "entered": entered},
            "municipality_nav": municipality_nav(slug, current_user(request), current="content"),
        },
    )


async def history_page(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/content/history – every change, newest first, with a revert button."""
    user = current_user(request)
    slug = municipality_slug(request, user)
    library = guide_library()
    changes = await request.app[STORES].content.history(slug)
    return render(
        request,
        "content_history.html",
        {
            "slug": slug,
            "name": request.config_dict[DIRECTORY].municipalities[slug],
            "changes": changes,
            "labels": {name: v.label for name, v in library.variables.items()},
            "shown": _shown,
            "editable": may_edit_content(user, slug),
            "municipality_nav": municipality_nav(slug, current_user(request), current="content"),
        },
    )


def _shown(value: Scalar | None) -> str:
    return "(filens værdi)" if value is None else Value(value).text()


async def revert_change(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/content/history/{id}/revert – put back the value from before the change (audited)."""
    user = current_user(request)
    slug = municipality_slug(request, user)
    if not may_edit_content(user, slug):
        raise forbid()
    store = request.app[STORES].content
    change = await store.change(int(request.match_info["change_id"]))
    if change is None or change.municipality != slug:
        raise web.HTTPNotFound()
    at = now(request)
    reverted = await store.revert(change, at, actor_id=user.id)
    if reverted is not None:
        await request.app[STORES].audit.record(
            "content.reverted",
            at,
            actor_id=user.id,
            client=client(request),
            municipality=slug,
            variable=change.variable,
            reverts=change.id,
            before={"value": reverted.before},
            after={"value": reverted.after},
        )
    raise web.HTTPSeeOther(f"/admin/m/{slug}/content/history")


__all__ = [
    "change_value",
    "content_page",
    "history_page",
    "preview_topic",
    "revert_change",
]

"""Accept or reject a value suggested from the municipality's crawled website (admin/suggestions.py).

"Brug forslaget" puts the value into the editor's form on the content page and publishes nothing;
"Afvis" hides it for good. Both are audited.
"""

from __future__ import annotations

from aiohttp import web

from admin.content import municipality_slug
from admin.guard import client, current_user, forbid, now
from admin.roles import may_edit_content
from admin.state import STORES
from admin.suggestions import State, StoredSuggestion


async def _decided(request: web.Request, state: str) -> tuple[str, StoredSuggestion]:
    user = current_user(request)
    slug = municipality_slug(request, user)
    if not may_edit_content(user, slug):
        raise forbid()
    store = request.app[STORES].suggestions
    suggestion = await store.get(int(request.match_info["suggestion_id"]))
    if suggestion is None or suggestion.municipality != slug or suggestion.state == State.REJECTED:
        raise web.HTTPNotFound()
    at = now(request)
    await store.decide(suggestion.id, state, at, actor_id=user.id)
    await request.app[STORES].audit.record(
        f"content.suggestion_{state}",
        at,
        actor_id=user.id,
        client=client(request),
        municipality=slug,
        variable=suggestion.variable,
        value=suggestion.value,
        url=suggestion.url,
    )
    return slug, suggestion


async def accept(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/content/suggestions/{id}/accept – the value into the form (the draft), not published."""
    slug, suggestion = await _decided(request, State.ACCEPTED)
    raise web.HTTPSeeOther(f"/admin/m/{slug}/content?draft={suggestion.id}#v-{suggestion.variable}")


async def reject(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/content/suggestions/{id}/reject – never offered again."""
    slug, suggestion = await _decided(request, State.REJECTED)
    raise web.HTTPSeeOther(f"/admin/m/{slug}/content?rejected={suggestion.variable}#v-{suggestion.variable}")

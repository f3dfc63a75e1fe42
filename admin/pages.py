"""The console's pages for reading: the start page (overview or municipality) and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from admin.guard import USER, csrf_token, current_user, forbid, now
from admin.inactivity import REMOVE_AFTER, inactive_since
from admin.local_content import guide_library, published_values, start_page_gaps
from admin.roles import (
    Role,
    User,
    audit_scope,
    crisis_scope,
    may_edit_content,
    may_erase,
    may_manage,
    may_manage_users,
    may_read_audit,
    may_send_sms_links,
    may_set_retention,
    may_view_consortium_statistics,
    may_view_integrations,
    may_view_municipality,
)
from admin.state import STORES
from conversation.state import DIRECTORY, LOG


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str | None  # None: a page of a later version, listed so staff know it is coming
    current: bool = False


# The municipality's pages; those without a route yet are shown, not linked (issues 13 and 14).
MUNICIPALITY_PAGES = (
    ("Forside", ""),
    ("Lokalt indhold", "content"),
    ("Egne vejledninger", "guides"),
    ("Agenter og SMS", "agents"),
    ("Integrationer", "integrations"),
    ("Statistik", "stats"),
    ("Samtaler", "conversations"),
    ("Ubesvarede spørgsmål", "unanswered"),
)


def render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    """A page with what every page needs: the user, the CSRF token and the navigation."""
    user: User | None = request.get(USER)
    base = {"user": user, "csrf": csrf_token(request), "nav": _nav(request, user), "municipality_nav": []}
    return aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)


def _nav(request: web.Request, user: User | None) -> list[NavItem]:
    if user is None:
        return []
    items = [NavItem("Oversigt" if user.municipality is None else "Min kommune", "/admin/")]
    if may_manage_users(user):
        items.append(NavItem("Brugere", "/admin/users"))
    if may_read_audit(user):
        items.append(NavItem("Log", "/admin/audit"))
    if may_set_retention(user):
        items.append(NavItem("Opbevaring", "/admin/retention"))
    if may_erase(user):
        items.append(NavItem("Sletning", "/admin/erasure"))
    if crisis_scope(user, frozenset(request.config_dict[DIRECTORY].municipalities)):
        items.append(NavItem("Krisetilstand", "/admin/crisis"))
    if may_view_consortium_statistics(user):
        items.append(NavItem("Statistik", "/admin/stats"))
    items.append(NavItem("Totrinsbekræftelse", "/admin/account/second-factor"))
    return [NavItem(i.label, i.href, current=i.href == request.path) for i in items]


def municipality_nav(slug: str, user: User, *, current: str = "") -> list[NavItem]:
    """The municipality's pages `user` may open (the others are left out), `current` marked."""
    allowed = {"agents": may_send_sms_links(user, slug), "integrations": may_view_integrations(user, slug)}
    return [
        NavItem(label, None if tail is None else f"/admin/m/{slug}/{tail}", current=tail == current)
        for label, tail in MUNICIPALITY_PAGES
        if allowed.get(tail or "", True)
    ]


async def home(request: web.Request) -> web.Response:
    """GET /admin/ – municipality staff go to their municipality; the consortium and agents get the overview."""
    user = current_user(request)
    if user.municipality is not None:
        raise web.HTTPFound(f"/admin/m/{user.municipality}/")
    names = request.config_dict[DIRECTORY].municipalities
    municipalities = sorted(names.items(), key=lambda item: item[1])
    return render(
        request,
        "overview.html",
        {"municipalities": municipalities, "warnings": await inactivity_warnings(request, user, None)},
    )


async def municipality(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/ – the municipality's name, its gap list and its pages."""
    user = current_user(request)
    slug = request.match_info["slug"]
    names = request.config_dict[DIRECTORY].municipalities
    if slug not in names:
        raise web.HTTPNotFound()
    if not may_view_municipality(user, slug):
        raise forbid()
    gaps = await request.config_dict[LOG].knowledge_gaps(slug)
    library = guide_library()
    content_gaps = (
        start_page_gaps(library, slug, await published_values(request, slug)) if slug in library.municipalities else []
    )
    return render(
        request,
        "municipality.html",
        {
            "slug": slug,
            "name": names[slug],
            "gaps": gaps,
            "content_gaps": content_gaps,
            "editable": may_edit_content(user, slug),
            "topic_titles": request.config_dict[DIRECTORY].topic_titles,
            "municipality_nav": municipality_nav(slug, user),
            "warnings": await inactivity_warnings(request, user, slug),
        },
    )


async def inactivity_warnings(request: web.Request, user: User, slug: str | None) -> list[dict[str, Any]]:
    """The warned users `user` manages (in `slug`, or all for None): who and when they will be removed."""
    if not may_manage_users(user):
        return []
    listed = await request.app[STORES].users.listing(slug if user.is_consortium_admin else user.municipality)
    return [
        {"username": other.username, "removal_on": (inactive_since(other.last_login_at, other.created_at) + REMOVE_AFTER).date()}
        for other in listed
        if other.inactivity_warned_at is not None and other.active and may_manage(user, other)
    ]


async def audit_log(request: web.Request) -> web.Response:
    """GET /admin/audit – consortium admins every entry (or one municipality's), municipality admins their own."""
    user = current_user(request)
    if not may_read_audit(user):
        raise forbid()
    scope = audit_scope(user)
    if scope is None:
        asked = request.query.get("municipality") or None
        if asked is not None and asked not in request.config_dict[DIRECTORY].municipalities:
            raise web.HTTPNotFound()
        scope = asked
    entries = await request.app[STORES].audit.entries(scope)
    names = request.config_dict[DIRECTORY].municipalities
    return render(
        request,
        "audit.html",
        {
            "entries": entries,
            "scope": scope,
            "scope_name": None if scope is None else names.get(scope, scope),
            "municipalities": sorted(names.items(), key=lambda item: item[1]) if user.role is Role.CONSORTIUM_ADMIN else [],
            "now": now(request),
        },
    )

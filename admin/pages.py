"""The console's pages for reading: the start page (overview or municipality) and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from admin.guard import USER, csrf_token, current_user, forbid, now
from admin.inactivity import REMOVE_AFTER, inactive_since
from admin.roles import (
    Role,
    User,
    audit_scope,
    may_manage,
    may_manage_users,
    may_read_audit,
    may_view_consortium_statistics,
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
    ("Lokalt indhold", None),
    ("Agenter og SMS", None),
    ("Integrationer", None),
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
    if may_view_consortium_statistics(user):
        items.append(NavItem("Statistik", "/admin/stats"))
    items.append(NavItem("Totrinsbekræftelse", "/admin/account/second-factor"))
    return [NavItem(i.label, i.href, current=i.href == request.path) for i in items]


def municipality_nav(slug: str, current: str = "") -> list[NavItem]:
    return [
        NavItem(label, None if tail is None else f"/admin/m/{slug}/{tail}", current=tail == current)
        for label, tail in MUNICIPALITY_PAGES
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
    return render(
        request,
        "municipality.html",
        {
            "slug": slug,
            "name": names[slug],
            "gaps": gaps,
            "topic_titles": request.config_dict[DIRECTORY].topic_titles,
            "municipality_nav": municipality_nav(slug),
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

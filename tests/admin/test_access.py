"""The access matrix: every console route × every role × own and another municipality.

Aarhus is the own municipality of the municipality staff; Skive is the other. Skive has a
knowledge gap, a user and audit entries of its own; none of it may appear in any page,
redirect or error that Aarhus staff get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from admin.roles import Role
from conversation.log import ConversationRecord, TurnRecord
from tests.admin.support import PASSWORD, csrf_of, log_in, make_user, stores
from tests.web.support import Client

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SKIVE_MARKERS = ("skive", "Skive", "hemmelig_skive_variabel", "skive.admin")
SKIVE_GAP_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {own_user}/{other_user}: ids filled in per test
    form: tuple[tuple[str, str], ...] = ()


GET_ROUTES = {
    "home": Route("GET", "/admin/"),
    "own municipality": Route("GET", "/admin/m/aarhus/"),
    "other municipality": Route("GET", "/admin/m/skive/"),
    "unknown municipality": Route("GET", "/admin/m/atlantis/"),
    "users": Route("GET", "/admin/users"),
    "audit": Route("GET", "/admin/audit"),
    "audit of other": Route("GET", "/admin/audit?municipality=skive"),
    "second factor": Route("GET", "/admin/account/second-factor"),
    "login page": Route("GET", "/admin/login"),
    "unknown page": Route("GET", "/admin/nothing-here"),
    "own statistics": Route("GET", "/admin/m/aarhus/stats"),
    "other statistics": Route("GET", "/admin/m/skive/stats"),
    "own statistics csv": Route("GET", "/admin/m/aarhus/stats.csv?from=2026-03-01&to=2026-03-02"),
    "other statistics csv": Route("GET", "/admin/m/skive/stats.csv?from=2026-03-01&to=2026-03-02"),
    "consortium statistics": Route("GET", "/admin/stats"),
    "consortium statistics csv": Route("GET", "/admin/stats.csv?from=2026-03-01&to=2026-03-02"),
    "own conversations": Route("GET", "/admin/m/aarhus/conversations?q=pas"),
    "other conversations": Route("GET", "/admin/m/skive/conversations"),
    "own conversation": Route("GET", "/admin/m/aarhus/conversations/{own_conversation}"),
    "other conversation": Route("GET", "/admin/m/skive/conversations/{other_conversation}"),
    "other conversation as own": Route("GET", "/admin/m/aarhus/conversations/{other_conversation}"),
    "own unanswered": Route("GET", "/admin/m/aarhus/unanswered"),
    "other unanswered": Route("GET", "/admin/m/skive/unanswered"),
}
TRANSCRIPTS = (
    "own unanswered",
    "other unanswered",
    "own conversations",
    "other conversations",
    "own conversation",
    "other conversation",
    "other conversation as own",
)
STATISTICS = ("own statistics", "other statistics", "own statistics csv", "other statistics csv")
CONSORTIUM_STATISTICS = ("consortium statistics", "consortium statistics csv")
POST_ROUTES = {
    "create user in own": Route(
        "POST",
        "/admin/users",
        (("username", "ny.aarhus"), ("role", "content-editor"), ("municipality", "aarhus"), ("password", PASSWORD)),
    ),
    "create user in other": Route(
        "POST",
        "/admin/users",
        (("username", "ny.skive"), ("role", "content-editor"), ("municipality", "skive"), ("password", PASSWORD)),
    ),
    "role of own user": Route(
        "POST", "/admin/users/{own_user}/role", (("role", "municipality-admin"), ("municipality", "aarhus"))
    ),
    "role of other user": Route(
        "POST", "/admin/users/{other_user}/role", (("role", "content-editor"), ("municipality", "skive"))
    ),
    "deactivate other user": Route("POST", "/admin/users/{other_user}/deactivate"),
    "deactivate own user": Route("POST", "/admin/users/{own_user}/deactivate"),
    "wrong code for own second factor": Route("POST", "/admin/account/second-factor", (("secret", SECRET), ("code", "000000"))),
    "unknown unanswered group handled": Route("POST", "/admin/m/aarhus/unanswered/999/handled"),
    "other unanswered group handled": Route("POST", "/admin/m/skive/unanswered/999/handled"),
}

# Status per route for each role (None: not logged in). 302/303 are redirects.
EXPECTED: dict[Role | None, dict[str, int]] = {
    Role.CONSORTIUM_ADMIN: {
        "unknown unanswered group handled": 403,
        "other unanswered group handled": 403,
        **{name: 403 for name in TRANSCRIPTS},  # transcripts: the municipality's own admins only
        **{name: 200 for name in (*STATISTICS, *CONSORTIUM_STATISTICS)},
        "home": 200,
        "own municipality": 200,
        "other municipality": 200,
        "unknown municipality": 404,
        "users": 200,
        "audit": 200,
        "audit of other": 200,
        "second factor": 200,
        "login page": 303,
        "unknown page": 404,
        "create user in own": 303,
        "create user in other": 303,
        "role of own user": 303,
        "role of other user": 303,
        "deactivate other user": 303,
        "deactivate own user": 303,
        "wrong code for own second factor": 400,
    },
    Role.MUNICIPALITY_ADMIN: {
        "own unanswered": 200,
        "other unanswered": 403,
        "unknown unanswered group handled": 404,
        "other unanswered group handled": 403,
        "own conversations": 200,
        "own conversation": 200,
        "other conversations": 403,
        "other conversation": 403,
        "other conversation as own": 404,
        "own statistics": 200,
        "own statistics csv": 200,
        "other statistics": 403,
        "other statistics csv": 403,
        **{name: 403 for name in CONSORTIUM_STATISTICS},
        "home": 302,
        "own municipality": 200,
        "other municipality": 403,
        "unknown municipality": 404,
        "users": 200,
        "audit": 200,
        "audit of other": 200,
        "second factor": 200,
        "login page": 303,
        "unknown page": 404,
        "create user in own": 303,
        "create user in other": 403,
        "role of own user": 303,
        "role of other user": 403,
        "deactivate other user": 403,
        "deactivate own user": 303,
        "wrong code for own second factor": 400,
    },
    Role.CONTENT_EDITOR: {
        "unknown unanswered group handled": 403,
        "other unanswered group handled": 403,
        **{name: 403 for name in TRANSCRIPTS},
        **{name: 403 for name in (*STATISTICS, *CONSORTIUM_STATISTICS)},  # statistics are the admins'
        "home": 302,
        "own municipality": 200,
        "other municipality": 403,
        "unknown municipality": 404,
        "users": 403,
        "audit": 403,
        "audit of other": 403,
        "second factor": 200,
        "login page": 303,
        "unknown page": 404,
        "create user in own": 403,
        "create user in other": 403,
        "role of own user": 403,
        "role of other user": 403,
        "deactivate other user": 403,
        "deactivate own user": 403,
        "wrong code for own second factor": 400,
    },
    Role.AGENT: {
        "unknown unanswered group handled": 403,
        "other unanswered group handled": 403,
        **{name: 403 for name in TRANSCRIPTS},
        **{name: 403 for name in (*STATISTICS, *CONSORTIUM_STATISTICS)},
        "home": 200,
        "own municipality": 200,
        "other municipality": 200,
        "unknown municipality": 404,
        "users": 403,
        "audit": 403,
        "audit of other": 403,
        "second factor": 200,
        "login page": 303,
        "unknown page": 404,
        "create user in own": 403,
        "create user in other": 403,
        "role of own user": 403,
        "role of other user": 403,
        "deactivate other user": 403,
        "deactivate own user": 403,
        "wrong code for own second factor": 400,
    },
    None: {
        **{name: 303 for name in GET_ROUTES},
        "login page": 200,
        "unknown page": 404,
        **{name: 403 for name in POST_ROUTES},  # no session, so no valid CSRF token: refused before anything
    },
}
MUNICIPALITY_STAFF = (Role.MUNICIPALITY_ADMIN, Role.CONTENT_EDITOR)


async def _seed(console: Client) -> dict[str, int]:
    """Both municipalities' data: gaps, users, audit entries."""
    from conversation.state import LOG

    log = console.app[LOG]
    await log.record_gap("skive", "passport", "hemmelig_skive_variabel", SKIVE_GAP_AT)
    await log.record_gap("aarhus", "passport", "pasfoto_pris", SKIVE_GAP_AT)
    other = await make_user(console, "skive.admin", Role.MUNICIPALITY_ADMIN, "skive")
    own = await make_user(console, "aarhus.editor", Role.CONTENT_EDITOR, "aarhus")
    await stores(console).audit.record(
        "user.created", SKIVE_GAP_AT, actor_id=other.id, municipality="skive", target_user_id=other.id
    )
    for conversation_id, slug in (("c-own", "aarhus"), ("c-skive", "skive")):
        await log.start_conversation(ConversationRecord(conversation_id, slug, "web", SKIVE_GAP_AT))
        await log.add_turns([TurnRecord(conversation_id, SKIVE_GAP_AT, "citizen", f"hvad koster et pas i {slug}")])
    return {"own_user": own.id, "other_user": other.id, "own_conversation": "c-own", "other_conversation": "c-skive"}


async def _as(console: Client, role: Role | None) -> None:
    if role is None:
        return
    municipality = "aarhus" if role in MUNICIPALITY_STAFF else None
    user = await make_user(console, "tester", role, municipality)
    if role is Role.CONSORTIUM_ADMIN:
        await stores(console).users.enable_second_factor(user.id, SECRET)
    await log_in(console, "tester", totp_secret=SECRET if role is Role.CONSORTIUM_ADMIN else None)


@pytest.mark.parametrize("role", [*Role, None], ids=lambda r: "anonymous" if r is None else r.value)
async def test_every_route_for_every_role(console: Client, role: Role | None) -> None:
    ids = await _seed(console)
    await _as(console, role)
    home = await console.get("/admin/login" if role is None else "/admin/account/second-factor")
    token = csrf_of(await home.text())
    seen: dict[str, int] = {}
    bodies: dict[str, str] = {}
    for name, route in {**GET_ROUTES, **POST_ROUTES}.items():
        path = route.path.format(**ids)
        if route.method == "GET":
            response = await console.get(path, allow_redirects=False)
        else:
            response = await console.post(path, data={"csrf": token, **dict(route.form)}, allow_redirects=False)
        seen[name] = response.status
        bodies[name] = f"{response.headers.get('Location', '')}\n{await response.text()}"
        if response.status in (302, 303) and role is None:
            assert response.headers["Location"].startswith("/admin/login"), (name, response.headers["Location"])
    assert seen == EXPECTED[role]
    if role in MUNICIPALITY_STAFF:
        for name, body in bodies.items():
            leaked = [marker for marker in SKIVE_MARKERS if marker in body]
            assert not leaked, f"{name} shows Skive's data to an Aarhus user: {leaked}"


async def test_municipality_staff_land_on_their_own_municipality(console: Client) -> None:
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne")
    response = await console.get("/admin/", allow_redirects=False)
    assert response.headers["Location"] == "/admin/m/aarhus/"


async def test_the_start_page_lists_the_municipalitys_gaps(console: Client) -> None:
    await _seed(console)
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne")
    page = await (await console.get("/admin/m/aarhus/")).text()
    assert "Aarhus Kommune" in page and "pasfoto_pris" in page and "Pas" in page


async def test_a_municipality_admin_sees_only_own_users_and_audit(console: Client) -> None:
    await _seed(console)
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne")
    users = await (await console.get("/admin/users")).text()
    audit = await (await console.get("/admin/audit?municipality=skive")).text()
    assert "aarhus.editor" in users and "skive.admin" not in users
    assert "login" in audit and "skive" not in audit.lower()


async def test_the_matrix_covers_every_console_route(console: Client) -> None:
    from admin.state import ADMIN_APP

    covered = {(r.method, r.path.split("{")[0].rstrip("/")) for r in {**GET_ROUTES, **POST_ROUTES}.values()}
    for resource in console.app[ADMIN_APP].router.resources():
        path = resource.canonical
        if path in ("/admin/static/admin.css", "/admin/{tail}") or "login" in path or "logout" in path:
            continue  # public files, the 404 catch-all, and the login flow (tested in test_login.py)
        methods = {route.method for route in resource}
        prefix = path.split("{")[0].rstrip("/")
        for method in methods - {"HEAD"}:
            assert any(m == method and p.startswith(prefix) for m, p in covered), (method, path)

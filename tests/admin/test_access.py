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
from crisis.model import make_crisis
from knowledge.suggestions import Suggestion
from tests.admin.support import PASSWORD, csrf_of, log_in, make_user, stores
from tests.web.support import NOW, Client

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
    "own content": Route("GET", "/admin/m/aarhus/content"),
    "other content": Route("GET", "/admin/m/skive/content"),
    "own preview": Route("GET", "/admin/m/aarhus/content/preview?topic=passport"),
    "other preview": Route("GET", "/admin/m/skive/content/preview?topic=passport"),
    "own content with other's suggestion as draft": Route("GET", "/admin/m/aarhus/content?draft={other_suggestion}"),
    "own content history": Route("GET", "/admin/m/aarhus/content/history"),
    "other content history": Route("GET", "/admin/m/skive/content/history"),
    "own content export": Route("GET", "/admin/m/aarhus/content.csv"),
    "other content export": Route("GET", "/admin/m/skive/content.csv"),
    "own import form": Route("GET", "/admin/m/aarhus/content/import"),
    "other import form": Route("GET", "/admin/m/skive/content/import"),
    "own guides": Route("GET", "/admin/m/aarhus/guides"),
    "other guides": Route("GET", "/admin/m/skive/guides"),
    "own guide": Route("GET", "/admin/m/aarhus/guides/passport"),
    "other guide": Route("GET", "/admin/m/skive/guides/passport"),
    "own agents' page": Route("GET", "/admin/m/aarhus/agents"),
    "other agents' page": Route("GET", "/admin/m/skive/agents"),
    "own integrations": Route("GET", "/admin/m/aarhus/integrations"),
    "other integrations": Route("GET", "/admin/m/skive/integrations"),
    "retention": Route("GET", "/admin/retention"),
    "erasure": Route("GET", "/admin/erasure"),
    "crisis": Route("GET", "/admin/crisis"),
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
GUIDE = (("title", "Pas i kommunen"), ("lines", "Bestil tid på {booking_url}."), ("action", "publish"))
IMPORTED = (("csv", "variabel;vaerdi\npassport_photo_price;140\n"),)
# A number that is not Danish: the form comes back with an error (400) where the user may send, nothing is sent.
SMS_FORM = (("municipality", "aarhus"), ("topic", "passport"), ("phone", "+46 70 123 45 67"), ("request_id", "0" * 32))
CRISIS_FORM = (("title", "Stormflod"), ("message", "Hold dig væk fra havnen."), ("hours", "12"))
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
    "publish in own": Route("POST", "/admin/m/aarhus/content/passport_photo_price", (("value", "135"), ("action", "publish"))),
    "preview in own": Route("POST", "/admin/m/aarhus/content/passport_photo_price", (("value", "140"), ("action", "preview"))),
    "invalid value in own": Route("POST", "/admin/m/aarhus/content/passport_photo_price", (("value", "gratis"),)),
    "publish in other": Route("POST", "/admin/m/skive/content/passport_photo_price", (("value", "135"),)),
    "revert in own": Route("POST", "/admin/m/aarhus/content/history/{own_change}/revert"),
    "revert in other": Route("POST", "/admin/m/skive/content/history/{other_change}/revert"),
    "revert other's change through own": Route("POST", "/admin/m/aarhus/content/history/{other_change}/revert"),
    "accept suggestion in own": Route("POST", "/admin/m/aarhus/content/suggestions/{own_suggestion}/accept"),
    "reject suggestion in other": Route("POST", "/admin/m/skive/content/suggestions/{other_suggestion}/reject"),
    "accept other's suggestion through own": Route(
        "POST", "/admin/m/aarhus/content/suggestions/{other_suggestion}/accept"
    ),
    "check import in own": Route("POST", "/admin/m/aarhus/content/import", IMPORTED),
    "check import in other": Route("POST", "/admin/m/skive/content/import", IMPORTED),
    "confirm import in own": Route("POST", "/admin/m/aarhus/content/import/confirm", IMPORTED),
    "confirm import in other": Route("POST", "/admin/m/skive/content/import/confirm", IMPORTED),
    "own guide publish": Route("POST", "/admin/m/aarhus/guides/passport", GUIDE),
    "other guide publish": Route("POST", "/admin/m/skive/guides/passport", GUIDE),
    "sms from own agents' page": Route("POST", "/admin/m/aarhus/agents", SMS_FORM),
    "sms from other agents' page": Route("POST", "/admin/m/skive/agents", SMS_FORM),
    "booking test of own": Route("POST", "/admin/m/aarhus/integrations/booking-test"),
    "booking test of other": Route("POST", "/admin/m/skive/integrations/booking-test"),
    "crawl of own": Route("POST", "/admin/m/aarhus/integrations/crawl"),
    # Invalid on purpose: where allowed, the form comes back with an error and nothing changes.
    "set retention": Route("POST", "/admin/retention", (("conversations", "0"),)),
    "erase unknown conversation": Route(
        "POST", "/admin/erasure", (("conversation", "00000000-0000-0000-0000-000000000000"), ("phone", ""))
    ),
    "crisis on in own": Route("POST", "/admin/crisis/on", (("municipality", "aarhus"), *CRISIS_FORM)),
    "crisis on in other": Route("POST", "/admin/crisis/on", (("municipality", "skive"), *CRISIS_FORM)),
    "crisis on in all": Route("POST", "/admin/crisis/on", (("all", "1"), *CRISIS_FORM)),
    "crisis off in other": Route("POST", "/admin/crisis/off", (("municipality", "skive"),)),
    "crisis off in own": Route("POST", "/admin/crisis/off", (("municipality", "aarhus"),)),
    "issue API key": Route("POST", "/admin/crisis/keys", (("label", "Aarhus beredskab"),)),
    "revoke API key": Route("POST", "/admin/crisis/keys/{key}/revoke"),
    "unknown unanswered group handled": Route("POST", "/admin/m/aarhus/unanswered/999/handled"),
    "other unanswered group handled": Route("POST", "/admin/m/skive/unanswered/999/handled"),
}
GUIDES_OWN = {"own guides": 200, "own guide": 200, "own guide publish": 303}
GUIDES_OTHER_READ = {"other guides": 200, "other guide": 200}
IMPORT_OWN = {"own import form": 200, "check import in own": 200, "confirm import in own": 303}
IMPORT_OTHER = {"other import form": 403, "check import in other": 403, "confirm import in other": 403}
CONTENT_READ = (
    "own content", "other content", "own preview", "other preview", "own content history", "other content history",
    "own content with other's suggestion as draft",
)  # fmt: skip
CONTENT_WRITE = (
    "publish in own", "preview in own", "invalid value in own", "publish in other", "revert in own", "revert in other"
)  # fmt: skip
OWN_CONTENT_ONLY = {
    "own content": 200,
    "own content with other's suggestion as draft": 200,
    "other content": 403,
    "own preview": 200,
    "other preview": 403,
    "own content history": 200,
    "other content history": 403,
    "publish in own": 303,
    "preview in own": 200,
    "invalid value in own": 400,
    "publish in other": 403,
    "revert in own": 303,
    "revert in other": 403,
    "revert other's change through own": 404,
    "accept suggestion in own": 303,
    "reject suggestion in other": 403,
    "accept other's suggestion through own": 404,
    "own content export": 200,
    "other content export": 403,
    **IMPORT_OWN,
    **IMPORT_OTHER,
    **GUIDES_OWN,
    "other guides": 403,
    "other guide": 403,
    "other guide publish": 403,
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
        **{name: 200 for name in CONTENT_READ},
        **{name: 303 for name in CONTENT_WRITE},
        "preview in own": 200,
        "invalid value in own": 400,
        "revert other's change through own": 404,
        "accept suggestion in own": 303,
        "reject suggestion in other": 303,
        "accept other's suggestion through own": 404,
        "own content export": 200,
        "other content export": 200,
        **IMPORT_OWN,
        "other import form": 200,
        "check import in other": 200,
        "confirm import in other": 303,
        **GUIDES_OWN,
        **GUIDES_OTHER_READ,
        "other guide publish": 303,
        "own agents' page": 200,
        "other agents' page": 200,
        "sms from own agents' page": 400,
        "sms from other agents' page": 400,
        "own integrations": 200,
        "other integrations": 200,
        "booking test of own": 200,
        "booking test of other": 200,
        "crawl of own": 303,
        "retention": 200,
        "erasure": 200,
        "set retention": 400,
        "erase unknown conversation": 404,
        "crisis": 200,
        "crisis on in own": 303,
        "crisis on in other": 303,
        "crisis on in all": 303,
        "crisis off in other": 303,
        "crisis off in own": 303,
        "issue API key": 200,
        "revoke API key": 303,
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
        **OWN_CONTENT_ONLY,
        "own agents' page": 200,
        "other agents' page": 403,
        "sms from own agents' page": 400,
        "sms from other agents' page": 403,
        "own integrations": 200,
        "other integrations": 403,
        "booking test of own": 200,
        "booking test of other": 403,
        "crawl of own": 403,
        "retention": 403,
        "erasure": 200,
        "set retention": 403,
        "erase unknown conversation": 404,
        "crisis": 200,
        "crisis on in own": 303,
        "crisis on in other": 403,
        "crisis on in all": 400,  # "all" is only the consortium's: no municipality chosen
        "crisis off in other": 403,
        "crisis off in own": 303,
        "issue API key": 403,
        "revoke API key": 403,
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
        **OWN_CONTENT_ONLY,
        "own agents' page": 403,
        "other agents' page": 403,
        "sms from own agents' page": 403,
        "sms from other agents' page": 403,
        "own integrations": 403,
        "other integrations": 403,
        "booking test of own": 403,
        "booking test of other": 403,
        "crawl of own": 403,
        "retention": 403,
        "erasure": 403,
        "set retention": 403,
        "erase unknown conversation": 403,
        "crisis": 403,
        "crisis on in own": 403,
        "crisis on in other": 403,
        "crisis on in all": 403,
        "crisis off in other": 403,
        "crisis off in own": 403,
        "issue API key": 403,
        "revoke API key": 403,
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
        **{name: 200 for name in CONTENT_READ},  # agents answer for every municipality: they read, never change
        **{name: 403 for name in CONTENT_WRITE},
        "revert other's change through own": 403,
        "accept suggestion in own": 403,
        "reject suggestion in other": 403,
        "accept other's suggestion through own": 403,
        "own content export": 200,
        "other content export": 200,
        **{name: 403 for name in (*IMPORT_OWN, *IMPORT_OTHER)},
        "own guides": 200,
        "own guide": 200,
        **GUIDES_OTHER_READ,
        "own guide publish": 403,
        "other guide publish": 403,
        "own agents' page": 200,
        "other agents' page": 200,
        "sms from own agents' page": 400,
        "sms from other agents' page": 400,
        "own integrations": 403,
        "other integrations": 403,
        "booking test of own": 403,
        "booking test of other": 403,
        "crawl of own": 403,
        "retention": 403,
        "erasure": 403,
        "set retention": 403,
        "erase unknown conversation": 403,
        "crisis": 403,
        "crisis on in own": 403,
        "crisis on in other": 403,
        "crisis on in all": 403,
        "crisis off in other": 403,
        "crisis off in own": 403,
        "issue API key": 403,
        "revoke API key": 403,
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
    content = stores(console).content
    secret = "hemmelig_skive_variabel: hent passet"
    skive = await content.publish("skive", "passport_pickup", secret, SKIVE_GAP_AT, actor_id=other.id)
    aarhus = await content.publish("aarhus", "passport_pickup", "Hent passet i Dokk1.", SKIVE_GAP_AT, actor_id=own.id)
    assert skive is not None and aarhus is not None
    # Skive's crisis (its title a marker): no Aarhus page may show it.
    await stores(console).crisis.switch_on(
        make_crisis(municipality="skive", title="Skive krise", message_da="Skive", set_by="cli", now=NOW),
        actor_id=None,
        client="cli",
    )
    key, _ = await stores(console).api_keys.issue("Skive beredskab", "crisis", NOW, created_by=None)
    # A value suggested from each website; Skive's link and snippet are markers.
    suggested = stores(console).suggestions
    suggestion_ids: dict[str, int] = {}
    for slug, value, marker in (("aarhus", "89 40 20 00", "Ring til Borgerservice"), ("skive", "99 15 55 00", secret)):
        found = Suggestion(slug, "citizen_service_phone", value, f"https://{slug}.dk/", f"{slug} Borgerservice", marker, 9.0)
        await suggested.refresh(slug, [found], SKIVE_GAP_AT)
        suggestion_ids[slug] = (await suggested.shown(slug))["citizen_service_phone"][0].id
    for conversation_id, slug in (("c-own", "aarhus"), ("c-skive", "skive")):
        await log.start_conversation(ConversationRecord(conversation_id, slug, "web", SKIVE_GAP_AT))
        await log.add_turns([TurnRecord(conversation_id, SKIVE_GAP_AT, "citizen", f"hvad koster et pas i {slug}")])
    return {
        "own_user": own.id,
        "other_user": other.id,
        "own_change": aarhus.id,
        "other_change": skive.id,
        "key": key.id,
        "own_conversation": "c-own",
        "other_conversation": "c-skive",
        "own_suggestion": suggestion_ids["aarhus"],
        "other_suggestion": suggestion_ids["skive"],
    }


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

"""Logging in and staying in: throttling, CSRF, cookies, time-outs, revocation, the second factor, headers."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pyotp

from admin.roles import Role
from admin.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from admin.throttle import FIRST_DELAY
from gateway.settings import GatewaySettings
from tests.admin.support import PASSWORD, MovableClock, csrf_of, log_in, make_user, page_csrf, post_form, post_login, stores
from tests.web.support import Client

WRONG = "Forkert brugernavn eller adgangskode."


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(console: Client) -> None:
    await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    wrong = await post_login(console, "anne", "forkert adgangskode")
    unknown = await post_login(console, "findes.ikke", "forkert adgangskode")
    assert wrong.status == unknown.status == 401
    assert WRONG in await wrong.text() and WRONG in await unknown.text()
    entries = await stores(console).audit.entries(None)
    assert [e.action for e in entries] == ["login.failed", "login.failed"]
    assert all("findes.ikke" not in str(e.details) for e in entries)  # a typed name is never logged


async def test_after_five_failures_the_account_waits_longer_each_time(console: Client, clock: MovableClock) -> None:
    await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    for _ in range(5):
        assert (await post_login(console, "anne", "forkert adgangskode")).status == 401
    throttled = await post_login(console, "anne")  # even the right password waits
    assert throttled.status == 429 and "Vent 15 sekunder" in await throttled.text()

    clock.advance(FIRST_DELAY)
    assert (await post_login(console, "anne", "forkert igen!!")).status == 401
    throttled = await post_login(console, "anne")
    assert throttled.status == 429 and "Vent 30 sekunder" in await throttled.text()  # doubled

    clock.advance(2 * FIRST_DELAY)
    assert (await post_login(console, "anne")).status == 303


async def test_an_unknown_name_is_throttled_like_a_real_one(console: Client) -> None:
    for _ in range(5):
        await post_login(console, "findes.ikke", "forkert adgangskode")
    response = await post_login(console, "findes.ikke", "forkert adgangskode")
    assert response.status == 429


async def test_one_client_trying_many_names_is_throttled(console: Client) -> None:
    await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    for number in range(5):
        await post_login(console, f"navn{number}", "forkert adgangskode")
    # A sixth name, and then a real user with the right password, from the same client: wait.
    assert (await post_login(console, "anne")).status == 429


async def test_a_form_without_or_with_a_wrong_csrf_token_is_refused(console: Client) -> None:
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    await console.get("/admin/login")
    missing = await console.post("/admin/login", data={"username": "anne", "password": PASSWORD}, allow_redirects=False)
    assert missing.status == 403 and "text/html" in missing.headers["Content-Type"]
    forged = await console.post(
        "/admin/login", data={"username": "anne", "password": PASSWORD, "csrf": "0" * 64}, allow_redirects=False
    )
    assert forged.status == 403
    await log_in(console, "anne")
    for path in ("/admin/logout", "/admin/users", "/admin/users/1/deactivate"):
        response = await console.post(path, data={"username": "x"}, allow_redirects=False)
        assert response.status == 403, path
    assert (await console.get("/admin/users")).status == 200  # still logged in: the logout was refused


async def test_the_session_cookie_is_httponly_and_strict(console: Client) -> None:
    await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    response = await post_login(console, "anne")
    cookie = response.headers["Set-Cookie"]
    assert "muni_admin=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # the public URL is http here


async def test_the_cookie_is_secure_when_the_public_url_is_https(
    make_console: Callable[..., Awaitable[Client]], settings: GatewaySettings
) -> None:
    console = await make_console(settings=dataclasses.replace(settings, public_url="https://muni.example.dk"))
    await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    response = await console.get("/admin/login")
    assert "Secure" in response.headers["Set-Cookie"]


async def test_an_idle_session_ends_and_the_login_returns_to_the_page_asked_for(console: Client, clock: MovableClock) -> None:
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne")
    clock.advance(IDLE_TIMEOUT - timedelta(seconds=1))
    assert (await console.get("/admin/users", allow_redirects=False)).status == 200  # activity keeps it alive
    clock.advance(IDLE_TIMEOUT + timedelta(seconds=1))
    expired = await console.get("/admin/users", allow_redirects=False)
    assert expired.status == 303 and expired.headers["Location"] == "/admin/login?next=/admin/users"

    response = await post_login(console, "anne", next_="/admin/users")
    assert response.status == 303 and response.headers["Location"] == "/admin/users"


async def test_a_session_ends_after_twelve_hours_even_when_used(console: Client, clock: MovableClock) -> None:
    await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    await log_in(console, "anne")
    step = IDLE_TIMEOUT - timedelta(minutes=1)
    elapsed = timedelta(0)
    while elapsed + step < ABSOLUTE_TIMEOUT:
        clock.advance(step)
        elapsed += step
        assert (await console.get("/admin/", allow_redirects=False)).status == 302
    clock.advance(step)
    assert (await console.get("/admin/", allow_redirects=False)).status == 303


async def test_logout_ends_the_session_on_the_server(console: Client) -> None:
    await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    await log_in(console, "anne")
    cookie = console.session.cookie_jar.filter_cookies(console.make_url("/admin/"))["muni_admin"].value
    token = await page_csrf(console, "/admin/account/second-factor")
    response = await console.post("/admin/logout", data={"csrf": token}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/admin/login"
    # The old cookie, replayed, opens nothing.
    replay = await console.get("/admin/", cookies={"muni_admin": cookie}, allow_redirects=False)
    assert replay.status == 303 and replay.headers["Location"].startswith("/admin/login")


async def test_a_role_change_and_a_deactivation_end_the_users_sessions(
    make_console: Callable[..., Awaitable[Client]],
) -> None:
    admin_browser = await make_console()
    editor_browser = Client(admin_browser.server)  # a second browser on the same gateway
    await make_user(admin_browser, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    editor = await make_user(admin_browser, "bodil", Role.CONTENT_EDITOR, "aarhus")
    await log_in(admin_browser, "anne")
    await log_in(editor_browser, "bodil")
    assert (await editor_browser.get("/admin/m/aarhus/")).status == 200

    changed = await post_form(
        admin_browser, f"/admin/users/{editor.id}/role", {"role": "municipality-admin", "municipality": "aarhus"}
    )
    assert changed.status == 303
    assert (await editor_browser.get("/admin/m/aarhus/", allow_redirects=False)).status == 303
    await log_in(editor_browser, "bodil")
    assert (await editor_browser.get("/admin/users")).status == 200  # the new role, after a new login

    assert (await post_form(admin_browser, f"/admin/users/{editor.id}/deactivate", {})).status == 303
    assert (await editor_browser.get("/admin/users", allow_redirects=False)).status == 303
    assert (await post_login(editor_browser, "bodil")).status == 401
    actions = [e.action for e in await stores(admin_browser).audit.entries("aarhus")]
    assert "user.role_changed" in actions and "user.deactivated" in actions
    await editor_browser.close()


async def test_pages_carry_a_strict_policy_and_no_script(console: Client) -> None:
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    login = await console.get("/admin/login")
    await log_in(console, "anne")
    for response in (login, await console.get("/admin/m/aarhus/"), await console.get("/admin/nothing")):
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
        assert "default-src 'none'" in policy
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
        assert "<script" not in await response.text()


async def test_an_oversized_form_gets_413_as_a_page(console: Client) -> None:
    token = await page_csrf(console, "/admin/login")
    response = await console.post(
        "/admin/login", data={"csrf": token, "username": "x" * 20_000, "password": "y"}, allow_redirects=False
    )
    assert response.status == 413
    assert "Formularen er for stor" in await response.text()


async def test_next_never_leads_off_the_console(console: Client) -> None:
    await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    for target in ("//evil.example/admin/", "https://evil.example/", "/api/v1/conversations", "/admin/\\evil"):
        await console.get("/admin/login")
        response = await post_login(console, "anne", next_=target)
        assert response.headers["Location"] == "/admin/", target
        await post_form(console, "/admin/logout", {}, csrf_from="/admin/account/second-factor")


async def test_a_consortium_admin_must_set_up_the_second_factor_and_then_use_it(console: Client, clock: MovableClock) -> None:
    await make_user(console, "konsortiet", Role.CONSORTIUM_ADMIN)
    response = await post_login(console, "konsortiet")
    assert response.headers["Location"] == "/admin/account/second-factor"
    blocked = await console.get("/admin/users", allow_redirects=False)
    assert blocked.status == 303 and blocked.headers["Location"] == "/admin/account/second-factor"

    page = await (await console.get("/admin/account/second-factor")).text()
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page)
    assert secret is not None and 'alt="QR-kode' in page
    code = pyotp.TOTP(secret.group(1)).at(clock.now)
    enrolled = await console.post(
        "/admin/account/second-factor", data={"csrf": csrf_of(page), "secret": secret.group(1), "code": code}
    )
    recovery = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", await enrolled.text())
    assert len(recovery) == 10
    assert (await console.get("/admin/users")).status == 200

    # Next time: password, then the code; a recovery code works once.
    await post_form(console, "/admin/logout", {})
    response = await post_login(console, "konsortiet")
    assert response.headers["Location"].startswith("/admin/login/second-factor")
    assert (await console.get("/admin/users", allow_redirects=False)).status == 303
    token = await page_csrf(console, "/admin/login/second-factor")
    wrong = await console.post("/admin/login/second-factor", data={"csrf": token, "code": "000000", "next": "/admin/"})
    assert wrong.status == 401
    used = await console.post(
        "/admin/login/second-factor", data={"csrf": token, "code": recovery[0], "next": "/admin/users"}, allow_redirects=False
    )
    assert used.status == 303 and used.headers["Location"] == "/admin/users"

    await post_form(console, "/admin/logout", {})
    await post_login(console, "konsortiet")
    token = await page_csrf(console, "/admin/login/second-factor")
    again = await console.post("/admin/login/second-factor", data={"csrf": token, "code": recovery[0], "next": "/admin/"})
    assert again.status == 401  # used up


async def test_others_may_add_the_second_factor(console: Client, clock: MovableClock) -> None:
    editor = await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus")
    await log_in(console, "anne")
    page = await (await console.get("/admin/account/second-factor")).text()
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page)
    assert secret is not None
    code = pyotp.TOTP(secret.group(1)).at(clock.now)
    await console.post("/admin/account/second-factor", data={"csrf": csrf_of(page), "secret": secret.group(1), "code": code})
    refreshed = await stores(console).users.get(editor.id)
    assert refreshed is not None and refreshed.has_second_factor


async def test_a_weak_password_is_refused_with_the_input_kept(console: Client) -> None:
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne")
    for password, message in (
        ("kort", "mindst 12 tegn"),
        ("Adgangskode123", "for almindelig"),
        ("ny.bruger.ny.bruger", "brugernavnet"),
    ):
        response = await post_form(
            console,
            "/admin/users",
            {"username": "ny.bruger", "role": "content-editor", "municipality": "aarhus", "password": password},
        )
        page = await response.text()
        assert response.status == 400 and message in page and 'value="ny.bruger"' in page
        assert password not in page

"""The issue's "Bad input", through each switch: a message too long (a clear error with the limit), HTML or script
(shown as text), an expiry in the past or over 14 days, a municipality that does not exist, a key without the right.
(The CLI's are in test_switch.py and test_schedule.py; two admins at once in test_store.py and test_postgresql.py;
the phone speaking HTML as text in tests/voice/test_crisis.py; the widget in tests/web_channels/test_widget_crisis.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from admin.roles import Role
from crisis.model import MAX_MESSAGE, MAX_TITLE
from tests.admin.support import MovableClock, log_in, make_user, page_csrf, stores
from tests.web.support import Client, error_of

MESSAGE = "Kog vandet før du drikker det."


async def admin_of_aarhus(console: Client) -> dict[str, str]:
    await make_user(console, "anne.aarhus", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne.aarhus")
    token = await page_csrf(console, "/admin/crisis")
    return {"csrf": token, "municipality": "aarhus", "title": "Forurenet drikkevand", "message": MESSAGE, "hours": "12"}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"message": "x" * (MAX_MESSAGE + 1)}, f"højst {MAX_MESSAGE} tegn"),
        ({"message_en": "y" * (MAX_MESSAGE + 1)}, f"højst {MAX_MESSAGE} tegn"),
        ({"title": "t" * (MAX_TITLE + 1)}, f"højst {MAX_TITLE} tegn"),
        ({"message": ""}, "Beskeden mangler"),
        ({"hours": "0"}, "fra 1 til 336"),
        ({"hours": str(14 * 24 + 1)}, "fra 1 til 336"),
        ({"hours": "en uge"}, "fra 1 til 336"),
        ({"link": "javascript:alert(1)"}, "https://"),
        ({"phone": "ring 112"}, "8 til 15 cifre"),
        ({"starts": "i morgen"}, "starttidspunkt"),
    ],
)
async def test_the_console_refuses_with_a_clear_error_and_keeps_what_was_typed(
    console: Client, change: dict[str, str], says: str
) -> None:
    form = await admin_of_aarhus(console)
    response = await console.post("/admin/crisis/on", data={**form, **change})
    page = await response.text()
    assert response.status == 400 and says in page and 'role="alert"' in page
    assert MESSAGE in page or "message" in change  # the form comes back filled in
    assert await stores(console).crisis.status() == {}


@pytest.mark.parametrize("slug", ["skive", "atlantis"])
async def test_the_console_refuses_a_municipality_outside_ones_own_or_that_does_not_exist(
    console: Client, slug: str
) -> None:
    form = await admin_of_aarhus(console)
    response = await console.post("/admin/crisis/on", data={**form, "municipality": slug}, allow_redirects=False)
    assert response.status == 403
    assert await stores(console).crisis.status() == {}


async def test_the_console_shows_html_in_a_crisis_as_text(console: Client) -> None:
    form = await admin_of_aarhus(console)
    title = "<script>alert(1)</script>Storm"
    assert (await console.post("/admin/crisis/on", data={**form, "title": title}, allow_redirects=False)).status == 303
    page = await (await console.get("/admin/crisis")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Storm" in page and "<script>alert(1)" not in page


@pytest.fixture
async def auth(console: Client, clock: MovableClock) -> dict[str, str]:
    _, secret = await stores(console).api_keys.issue("Aarhus beredskab", "crisis", clock(), created_by=None)
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"message": "x" * (MAX_MESSAGE + 1)}, f"højst {MAX_MESSAGE} tegn"),
        ({"title": "t" * (MAX_TITLE + 1)}, f"højst {MAX_TITLE} tegn"),
        ({"expires_in": "15d"}, "14 dage"),
        ({"expires_in": "next week"}, "varighed"),
        ({"expires_at": "2026-03-02T09:00:00+00:00"}, "fortiden"),  # the clock says 09:30
        ({"expires_at": "2026-03-17T09:31:00+00:00"}, "14 dage"),
        ({"starts_at": "2026-03-01T09:30:00+00:00"}, "fortiden"),
    ],
)
async def test_the_api_refuses_with_a_clear_error(
    console: Client, auth: dict[str, str], change: dict[str, str], says: str
) -> None:
    body = {"title": "Stormflod", "message": MESSAGE, **change}
    response = await console.put("/api/v1/crisis/aarhus", json=body, headers=auth)
    assert response.status == 400
    error = await error_of(response)
    assert error["code"] == "invalid_crisis" and says in error["message"]


@pytest.mark.parametrize(
    "body", [{"title": "Storm", "message": MESSAGE, "colour": "red"}, {"title": "Storm", "message": 42}, ["Storm"]]
)
async def test_the_api_refuses_a_body_it_does_not_know(console: Client, auth: dict[str, str], body: Any) -> None:
    response = await console.put("/api/v1/crisis/aarhus", json=body, headers=auth)
    assert response.status == 400 and (await error_of(response))["code"] == "bad_request"


async def test_the_api_refuses_an_unknown_municipality_and_a_key_without_the_right(
    console: Client, auth: dict[str, str], clock: MovableClock
) -> None:
    body = {"title": "Stormflod", "message": MESSAGE}
    unknown = await console.put("/api/v1/crisis/atlantis", json=body, headers=auth)
    assert unknown.status == 404 and (await error_of(unknown))["code"] == "unknown_municipality"
    assert (await console.delete("/api/v1/crisis/atlantis", headers=auth)).status == 404
    _, other = await stores(console).api_keys.issue("SMS-link", "sms", clock(), created_by=None)
    for request in (console.put("/api/v1/crisis/aarhus", json=body, headers={"Authorization": f"Bearer {other}"}),
                    console.delete("/api/v1/crisis/aarhus", headers={"Authorization": f"Bearer {other}"})):  # fmt: skip
        response = await request
        assert response.status == 403 and (await error_of(response))["code"] == "forbidden"
    assert (await console.put("/api/v1/crisis/aarhus", json=body)).status == 401
    assert await stores(console).crisis.status() == {}
    assert [e.action for e in await stores(console).audit.entries("aarhus")] == []  # nothing changed, nothing audited

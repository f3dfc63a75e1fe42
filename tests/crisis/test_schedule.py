"""A crisis scheduled to start later: its rules, the console, `muni crisis on --starts`, the staff API; it is on
no channel before its start and on every one from its start, without a restart (the test moves the clock)."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from admin.crisis_cli import crisis_on, crisis_status
from admin.roles import Role
from crisis.model import PAST_GRACE, Crisis, CrisisError, make_crisis, parse_start
from tests.admin.support import MovableClock, log_in, make_user, page_csrf, stores
from tests.web.support import Client, start

KNOWN = frozenset({"aarhus", "skive", "viborg"})
T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # 13:00 in Copenhagen (winter time, UTC+1)
MESSAGE = "Stormflod ventet i aften. Læg sandsække ved døren."


def storm(**changes: Any) -> Crisis:
    values: dict[str, Any] = {"municipality": "aarhus", "title": "Stormflod", "message_da": MESSAGE, "set_by": "cli", "now": T0}
    return make_crisis(**{**values, **changes})


def test_a_start_later_keeps_its_time_and_the_expiry_counts_from_it() -> None:
    crisis = storm(starts_at=T0 + timedelta(days=3))
    assert crisis.starts_at == T0 + timedelta(days=3) and crisis.expires_at == T0 + timedelta(days=4)
    assert crisis.state_at(T0) == "scheduled" and not crisis.active_at(T0)
    assert crisis.state_at(T0 + timedelta(days=3)) == "active"
    assert crisis.state_at(T0 + timedelta(days=4)) == "expired"
    # 14 days after the start is allowed even when that is more than 14 days from now
    far = storm(starts_at=T0 + timedelta(days=3), expires_at=T0 + timedelta(days=17))
    assert far.expires_at - far.starts_at == timedelta(days=14)


def test_a_start_in_the_past_is_now_within_a_few_minutes_and_an_error_before_that() -> None:
    assert storm(starts_at=T0 - timedelta(minutes=2)).starts_at == T0  # a slow form or a clock a little off
    with pytest.raises(CrisisError, match="Starttidspunktet ligger i fortiden"):
        storm(starts_at=T0 - PAST_GRACE - timedelta(seconds=1))
    with pytest.raises(CrisisError, match="Starttidspunktet ligger i fortiden"):
        storm(starts_at=T0 - timedelta(hours=1))  # e.g. a time zone mixed up: refused, never started "an hour ago"


@pytest.mark.parametrize(
    ("starts", "expires", "says"),
    [
        (timedelta(hours=2), timedelta(hours=1), "efter starttidspunktet"),
        (timedelta(hours=2), timedelta(hours=2), "efter starttidspunktet"),
        (timedelta(days=1), timedelta(days=15, seconds=1), "14 dage"),
        (timedelta(days=14, minutes=1), None, "14 dage frem"),
        (None, -timedelta(minutes=1), "fortiden"),
    ],
)
def test_the_expiry_must_follow_the_start_by_at_most_14_days(
    starts: timedelta | None, expires: timedelta | None, says: str
) -> None:
    with pytest.raises(CrisisError, match=says):
        storm(
            starts_at=None if starts is None else T0 + starts,
            expires_at=None if expires is None else T0 + expires,
        )


def test_a_start_is_read_as_danish_time_or_from_now() -> None:
    assert parse_start("2026-12-07T08:00", T0) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # CET
    assert parse_start("2026-07-01T08:00", T0) == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # CEST
    assert parse_start("2026-12-07T08:00+00:00", T0) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert parse_start("2h", T0) == T0 + timedelta(hours=2)
    with pytest.raises(CrisisError, match="starttidspunkt"):
        parse_start("i morgen tidlig", T0)


def cli_args(**changes: Any) -> argparse.Namespace:
    values = {
        "municipality": "aarhus", "all": False, "title": "Stormflod", "message": MESSAGE, "message_en": None,
        "link": "https://aarhus.dk/krise", "phone": "89 40 20 00", "starts": "2h", "expires": "6h",
    }  # fmt: skip
    return argparse.Namespace(**{**values, **changes})


async def public(console: Client) -> dict[str, Any]:
    body: dict[str, Any] = await (await console.get("/api/v1/crisis/aarhus")).json()
    return body


async def test_scheduled_from_the_cli_it_is_on_no_channel_before_its_start_and_on_every_one_from_it(
    console: Client, database_path: Path, clock: MovableClock
) -> None:
    url, out = f"sqlite+aiosqlite:///{database_path}", io.StringIO()
    assert await public(console) == {"active": False, "municipality": "aarhus"}  # the board has read "no crisis"
    assert await crisis_on(cli_args(), url, out, clock, known=lambda: KNOWN) == 0
    assert "starter" in out.getvalue()
    clock.advance(timedelta(seconds=10))  # past the board's cache: it now holds the scheduled crisis
    assert (await public(console))["active"] is False
    assert MESSAGE not in (await start(console))["messages"][0]["text"]
    status = io.StringIO()
    await crisis_status(argparse.Namespace(), url, status, clock)
    assert "aarhus: planlagt – starter 2026-03-02 12:30 dansk tid" in status.getvalue()  # 09:30 UTC + 2 h, in CET
    clock.advance(timedelta(hours=2))  # its start: no restart, no cache to wait for
    body = await public(console)
    assert body["active"] is True and body["message"] == MESSAGE
    assert (await start(console))["messages"][0]["text"].startswith("Vigtigt: Stormflod")
    clock.advance(timedelta(hours=6))  # six hours from its start, not from when it was set
    assert (await public(console))["active"] is False


async def test_the_cli_refuses_a_start_in_the_past_or_too_far_ahead(
    database_path: Path, clock: MovableClock, capsys: Any
) -> None:
    url = f"sqlite+aiosqlite:///{database_path}"
    past = (clock() - timedelta(hours=3)).isoformat()
    assert await crisis_on(cli_args(starts=past), url, io.StringIO(), clock, known=lambda: KNOWN) == 2
    assert "fortiden" in capsys.readouterr().err
    assert await crisis_on(cli_args(starts="15d"), url, io.StringIO(), clock, known=lambda: KNOWN) == 2
    assert "14 dage frem" in capsys.readouterr().err
    assert await crisis_on(cli_args(starts="1d", expires="15d"), url, io.StringIO(), clock, known=lambda: KNOWN) == 2
    assert "14 dage" in capsys.readouterr().err


async def test_the_console_schedules_a_crisis_shows_it_as_planned_and_audits_the_start(
    console: Client, clock: MovableClock
) -> None:
    await make_user(console, "anne.aarhus", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne.aarhus")
    page = await (await console.get("/admin/crisis")).text()
    assert 'name="starts" type="datetime-local"' in page
    token = await page_csrf(console, "/admin/crisis")
    form = {"csrf": token, "municipality": "aarhus", "title": "Stormflod", "message": MESSAGE, "hours": "12"}
    # 2 March 2026 09:30 UTC is 10:30 in Copenhagen: 13:30 Danish time is three hours ahead
    response = await console.post("/admin/crisis/on", data={**form, "starts": "2026-03-02T13:30"}, allow_redirects=False)
    assert response.status == 303
    page = await (await console.get("/admin/crisis")).text()
    assert "Planlagt" in page and "02.03.2026 13:30" in page and "03.03.2026 01:30" in page
    assert (await public(console))["active"] is False
    entry = (await stores(console).audit.entries("aarhus"))[0]
    assert entry.action == "crisis.on" and entry.details["after"]["starts_at"] == "2026-03-02T12:30:00+00:00"
    clock.advance(timedelta(hours=3))
    assert (await public(console))["active"] is True
    await log_in(console, "anne.aarhus")  # the console's session has timed out meanwhile
    assert "Aktiv" in await (await console.get("/admin/crisis")).text()
    token = await page_csrf(console, "/admin/crisis")
    refused = await console.post("/admin/crisis/on", data={**form, "csrf": token, "starts": "2026-03-01T08:00"})
    assert refused.status == 400 and "Starttidspunktet ligger i fortiden" in await refused.text()


async def test_the_api_schedules_a_crisis_with_a_start_time(console: Client, clock: MovableClock) -> None:
    _, secret = await stores(console).api_keys.issue("Aarhus beredskab", "crisis", clock(), created_by=None)
    auth = {"Authorization": f"Bearer {secret}"}
    starts = clock() + timedelta(hours=1)
    body = {"title": "Stormflod", "message": MESSAGE, "starts_at": starts.isoformat(), "expires_in": "6h"}
    created = await console.put("/api/v1/crisis/aarhus", json=body, headers=auth)
    assert created.status == 201
    answer = await created.json()
    assert answer["active"] is False and answer["state"] == "scheduled"
    assert answer["expires_at"] == (starts + timedelta(hours=6)).isoformat()
    assert (await public(console))["active"] is False
    clock.advance(timedelta(hours=1))
    assert (await public(console))["active"] is True
    late = await console.put(
        "/api/v1/crisis/aarhus", json={**body, "starts_at": (clock() - timedelta(days=1)).isoformat()}, headers=auth
    )
    assert late.status == 400 and "fortiden" in (await late.json())["error"]["message"]
    naive = await console.put("/api/v1/crisis/aarhus", json={**body, "starts_at": "2026-03-02T13:30"}, headers=auth)
    assert naive.status == 400 and "tidszone" in (await naive.json())["error"]["message"]

"""Crisis mode on PostgreSQL, as production runs it: the store through `muni crisis`, the staff API keys, two
admins at once on two gateway replicas, and a change reaching a second replica within the board's cache lifetime."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from admin.crisis_cli import crisis_off, crisis_on, crisis_status
from admin.roles import Role
from admin.tables import api_keys
from conversation.state import ENGINE
from crisis.store import CACHE_FOR, CrisisStore
from gateway.settings import GatewaySettings
from tests.admin.support import MovableClock, log_in, make_user, page_csrf, stores
from tests.web.support import Client, start

pytestmark = pytest.mark.postgres
KNOWN = frozenset({"aarhus", "skive", "viborg"})
MESSAGE = "Drikkevandet i Aarhus C er forurenet. Kog vandet før du drikker det."
Replica = Callable[[], Awaitable[Client]]


@pytest.fixture
def replica(make_console: Callable[..., Awaitable[Client]], settings: GatewaySettings, postgres_url: str) -> Replica:
    """A new gateway (its own board and caches) on the one PostgreSQL database."""
    on_postgresql = dataclasses.replace(settings, database_url=postgres_url)
    return lambda: make_console(settings=on_postgresql)


async def public(client: Client) -> dict[str, Any]:
    body: dict[str, Any] = await (await client.get("/api/v1/crisis/aarhus")).json()
    return body


async def test_muni_crisis_on_status_and_off_on_postgresql(replica: Replica, postgres_url: str, clock: MovableClock) -> None:
    gateway = await replica()
    assert gateway.app[ENGINE].dialect.name == "postgresql"
    args = argparse.Namespace(
        municipality="aarhus", all=False, title="Forurenet drikkevand", message=MESSAGE, message_en=None,
        link="https://aarhus.dk/krise", phone="89 40 20 00", starts=None, expires="12h",
    )  # fmt: skip
    assert await crisis_on(args, postgres_url, io.StringIO(), clock, known=lambda: KNOWN) == 0
    clock.advance(CACHE_FOR)
    assert (await public(gateway))["message"] == MESSAGE
    assert (await start(gateway))["messages"][0]["text"].startswith("Vigtigt: Forurenet drikkevand")
    out = io.StringIO()
    await crisis_status(argparse.Namespace(), postgres_url, out, clock)
    assert "aarhus: aktiv – Forurenet drikkevand" in out.getvalue()
    off = argparse.Namespace(municipality="aarhus", all=False)
    assert await crisis_off(off, postgres_url, io.StringIO(), clock, known=lambda: KNOWN) == 0
    clock.advance(CACHE_FOR)
    assert (await public(gateway))["active"] is False
    history = await CrisisStore(gateway.app[ENGINE]).history("aarhus")
    assert [(h["action"], h["actor"]) for h in history] == [("off", "cli"), ("on", "cli")]
    assert [e.action for e in await stores(gateway).audit.entries("aarhus")] == ["crisis.off", "crisis.on"]


async def test_staff_api_keys_on_postgresql_hashed_revocable_and_scoped(replica: Replica, clock: MovableClock) -> None:
    gateway = await replica()
    keys = stores(gateway).api_keys
    key, secret = await keys.issue("Aarhus beredskab", "crisis", clock(), created_by=None)
    other, other_secret = await keys.issue("SMS-link", "sms", clock(), created_by=None)
    async with gateway.app[ENGINE].connect() as connection:
        rows = (await connection.execute(select(api_keys))).all()
    assert len(rows) == 2 and all(secret not in str(tuple(row)) and other_secret not in str(tuple(row)) for row in rows)
    body = {"title": "Stormflod", "message": "Hold dig væk fra havnen.", "expires_in": "6h"}
    wrong_right = await gateway.put("/api/v1/crisis/aarhus", json=body, headers={"Authorization": f"Bearer {other_secret}"})
    assert wrong_right.status == 403  # a key without the crisis right
    auth = {"Authorization": f"Bearer {secret}"}
    assert (await gateway.put("/api/v1/crisis/aarhus", json=body, headers=auth)).status == 201
    assert (await gateway.delete("/api/v1/crisis/aarhus", headers=auth)).status == 204
    revoked = await keys.revoke(key.id, clock())
    assert revoked is not None and revoked.revoked_at is not None
    assert (await gateway.put("/api/v1/crisis/aarhus", json=body, headers=auth)).status == 403
    assert [k.id for k in await keys.all()] == [key.id, other.id]


async def test_a_second_replica_follows_within_the_cache_lifetime_scheduled_ones_too(
    replica: Replica, clock: MovableClock
) -> None:
    first, second = await replica(), await replica()
    _, secret = await stores(first).api_keys.issue("Aarhus beredskab", "crisis", clock(), created_by=None)
    auth = {"Authorization": f"Bearer {secret}"}
    assert (await public(second))["active"] is False  # read and cached: "no crisis"
    body = {"title": "Stormflod", "message": "Hold dig væk fra havnen."}
    assert (await first.put("/api/v1/crisis/aarhus", json=body, headers=auth)).status == 201
    assert (await public(first))["active"] is True  # the replica that changed it, at once
    clock.advance(CACHE_FOR - timedelta(seconds=1))
    assert (await public(second))["active"] is False  # still its cached read: the lifetime is the bound
    clock.advance(timedelta(seconds=1))
    assert (await public(second))["title"] == "Stormflod"  # no restart
    later = {**body, "title": "Stormflod i aften", "starts_at": (clock() + timedelta(hours=1)).isoformat()}
    assert (await first.delete("/api/v1/crisis/aarhus", headers=auth)).status == 204
    assert (await first.put("/api/v1/crisis/aarhus", json=later, headers=auth)).status == 201
    clock.advance(CACHE_FOR)
    assert (await public(second))["active"] is False  # scheduled, not yet started
    clock.advance(timedelta(hours=1))
    assert (await public(second))["title"] == "Stormflod i aften"  # at its start, on the replica that did not set it


async def test_two_admins_at_once_on_two_replicas_the_later_wins_and_both_are_audited(
    replica: Replica, clock: MovableClock
) -> None:
    first, second = await replica(), await replica()
    await make_user(first, "anne.aarhus", Role.MUNICIPALITY_ADMIN, "aarhus")
    await make_user(first, "bo.aarhus", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(first, "anne.aarhus")
    await log_in(second, "bo.aarhus")
    forms = []
    for client, title in ((first, "Storm fra Anne"), (second, "Storm fra Bo")):
        token = await page_csrf(client, "/admin/crisis")
        forms.append(
            (client, {"csrf": token, "municipality": "aarhus", "title": title, "message": MESSAGE, "hours": "12"})
        )
    responses = await asyncio.gather(
        *(client.post("/admin/crisis/on", data=form, allow_redirects=False) for client, form in forms)
    )
    assert [r.status for r in responses] == [303, 303]
    entries = {e.action: e for e in await stores(first).audit.entries("aarhus") if e.action.startswith("crisis.")}
    assert sorted(entries) == ["crisis.changed", "crisis.on"]  # one turned it on, the other changed what it found
    earlier, later = entries["crisis.on"], entries["crisis.changed"]
    assert earlier.details.get("before") is None and later.details["before"]["title"] == earlier.details["after"]["title"]
    assert {earlier.actor, later.actor} == {"anne.aarhus", "bo.aarhus"}
    clock.advance(CACHE_FOR)
    for client in (first, second):
        assert (await public(client))["title"] == later.details["after"]["title"]  # the later change is what stays

"""The three switches: `muni crisis`, the staff API with its keys, and the public read; every change audited."""

from __future__ import annotations

import argparse
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from admin.crisis_cli import crisis_off, crisis_on, crisis_status
from tests.admin.support import MovableClock, stores
from tests.web.support import Client, error_of

KNOWN = frozenset({"aarhus", "skive", "viborg"})


def url_of(database_path: Path) -> str:
    return f"sqlite+aiosqlite:///{database_path}"


def on_args(**changes: Any) -> argparse.Namespace:
    values = {
        "municipality": "aarhus",
        "all": False,
        "title": "Forurenet drikkevand",
        "message": "Kog vandet før du drikker det.",
        "message_en": None,
        "link": "https://aarhus.dk/krise",
        "phone": "89 40 20 00",
        "expires": "12h",
    }
    return argparse.Namespace(**{**values, **changes})


async def public(console: Client, slug: str = "aarhus") -> dict[str, Any]:
    response = await console.get(f"/api/v1/crisis/{slug}")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=30"
    body: dict[str, Any] = await response.json()
    return body


async def test_cli_on_shows_in_the_public_read_and_off_removes_it(
    console: Client, database_path: Path, clock: MovableClock
) -> None:
    out = io.StringIO()
    assert await public(console) == {"active": False, "municipality": "aarhus"}
    assert await crisis_on(on_args(), url_of(database_path), out, clock, known=lambda: KNOWN) == 0
    clock.advance(timedelta(seconds=10))  # past the board's cache
    body = await public(console)
    assert body["active"] is True and body["message"] == "Kog vandet før du drikker det."
    assert body["phone"] == "89 40 20 00" and body["link"] == "https://aarhus.dk/krise"
    assert (await public(console, "skive"))["active"] is False
    await crisis_status(argparse.Namespace(), url_of(database_path), out, clock)
    assert "aarhus: aktiv – Forurenet drikkevand" in out.getvalue()
    assert (
        await crisis_off(
            argparse.Namespace(municipality="aarhus", all=False), url_of(database_path), out, clock, known=lambda: KNOWN
        )
        == 0
    )
    clock.advance(timedelta(seconds=10))
    assert (await public(console))["active"] is False
    actions = [entry.action for entry in await stores(console).audit.entries("aarhus")]
    assert actions == ["crisis.off", "crisis.on"]


async def test_cli_all_and_expiry_by_itself(console: Client, database_path: Path, clock: MovableClock) -> None:
    assert (
        await crisis_on(
            on_args(municipality=None, all=True, expires="2h"), url_of(database_path), io.StringIO(), clock, known=lambda: KNOWN
        )
        == 0
    )
    clock.advance(timedelta(seconds=10))
    assert all([(await public(console, slug))["active"] for slug in KNOWN])
    clock.advance(timedelta(hours=2))
    assert not any([(await public(console, slug))["active"] for slug in KNOWN])


async def test_cli_refuses_bad_input_with_the_limit(database_path: Path, clock: MovableClock, capsys: Any) -> None:
    url = url_of(database_path)
    assert await crisis_on(on_args(message="x" * 301), url, io.StringIO(), clock, known=lambda: KNOWN) == 2
    assert "højst 300 tegn" in capsys.readouterr().err
    assert await crisis_on(on_args(expires="15d"), url, io.StringIO(), clock, known=lambda: KNOWN) == 2
    assert "14 dage" in capsys.readouterr().err
    assert await crisis_on(on_args(municipality="atlantis"), url, io.StringIO(), clock, known=lambda: KNOWN) == 2
    assert "findes ikke" in capsys.readouterr().err


async def test_the_public_read_of_an_unknown_municipality_is_404(console: Client) -> None:
    response = await console.get("/api/v1/crisis/atlantis")
    assert response.status == 404 and (await error_of(response))["code"] == "unknown_municipality"


async def test_the_api_switches_with_a_crisis_key_only(console: Client, clock: MovableClock) -> None:
    keys = stores(console).api_keys
    key, secret = await keys.issue("Aarhus beredskab", "crisis", clock(), created_by=None)
    body = {"title": "Stormflod", "message": "<b>Hold dig væk</b> fra havnen.", "expires_in": "6h"}
    assert (await console.put("/api/v1/crisis/aarhus", json=body)).status == 401
    wrong = await console.put("/api/v1/crisis/aarhus", json=body, headers={"Authorization": "Bearer muni_sk_nope"})
    assert wrong.status == 403
    auth = {"Authorization": f"Bearer {secret}"}
    assert (await console.put("/api/v1/crisis/atlantis", json=body, headers=auth)).status == 404
    too_long = await console.put("/api/v1/crisis/aarhus", json={**body, "message": "x" * 400}, headers=auth)
    assert too_long.status == 400 and "højst 300 tegn" in (await error_of(too_long))["message"]
    created = await console.put("/api/v1/crisis/aarhus", json=body, headers=auth)
    assert created.status == 201
    assert (await public(console))["message"] == "<b>Hold dig væk</b> fra havnen."  # text, as it was sent
    changed = await console.put("/api/v1/crisis/aarhus", json={**body, "title": "Stormflod 2"}, headers=auth)
    assert changed.status == 200
    assert (await console.delete("/api/v1/crisis/aarhus", headers=auth)).status == 204
    assert (await public(console))["active"] is False
    await keys.revoke(key.id, clock())
    assert (await console.put("/api/v1/crisis/aarhus", json=body, headers=auth)).status == 403
    entries = await stores(console).audit.entries("aarhus")
    assert [e.action for e in entries] == ["crisis.off", "crisis.changed", "crisis.on"]
    assert entries[1].details["before"]["title"] == "Stormflod" and entries[1].details["after"]["title"] == "Stormflod 2"
    assert all(e.client == f"api-key:{key.id}" for e in entries)


async def test_keys_are_hashed_at_rest(console: Client, clock: MovableClock, database_path: Path) -> None:
    _, secret = await stores(console).api_keys.issue("Skive", "crisis", clock(), created_by=None)
    assert secret.encode() not in database_path.read_bytes()


async def test_two_gateways_on_one_database_both_carry_a_change_within_a_minute(make_console: Any, clock: MovableClock) -> None:
    first, second = await make_console(), await make_console()
    _, secret = await stores(first).api_keys.issue("Aarhus beredskab", "crisis", clock(), created_by=None)
    assert (await public(second))["active"] is False  # the second replica has read (and cached) "no crisis"
    body = {"title": "Stormflod", "message": "Hold dig væk fra havnen."}
    assert (await first.put("/api/v1/crisis/aarhus", json=body, headers={"Authorization": f"Bearer {secret}"})).status == 201
    assert (await public(first))["active"] is True  # the replica that changed it, at once
    clock.advance(timedelta(seconds=10))
    assert (await public(second))["active"] is True  # the other, without a restart, well within 60 s
    await first.delete("/api/v1/crisis/aarhus", headers={"Authorization": f"Bearer {secret}"})
    clock.advance(timedelta(seconds=10))
    assert (await public(second))["active"] is False

"""The integrations page: booking licensed and healthy, a connection test that never hangs, SMS, the crawl, the embed."""

from __future__ import annotations

import asyncio
import html
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from admin.crawls import CrawlRunner
from admin.roles import Role
from booking.health import BookingCall, BookingHealthLog
from conversation.directory import Directory, Embedding
from conversation.state import ENGINE
from crawler.store import CrawlStore
from sms.sender import OutboxSmsSender
from tests.admin.support import NOW, csrf_of, log_in, make_user, stores
from tests.web.support import Client, FakeContactCentre
from tests.web_channels.conftest import FakeSms

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PAGE = "/admin/m/aarhus/integrations"
Make = Callable[..., Awaitable[Client]]


@pytest.fixture
def directory(contact_centre: FakeContactCentre) -> Directory:
    return Directory(
        municipalities={"aarhus": "Aarhus Kommune", "skive": "Skive Kommune"},
        topics=frozenset({"passport"}),
        contact_centre=contact_centre,
        embeddings={"aarhus": Embedding("aarhus.dk", ("https://aarhus.dk", "https://www.aarhus.dk"))},
        booking_enabled=frozenset({"aarhus"}),
    )


async def _admin(console: Client, role: Role = Role.MUNICIPALITY_ADMIN) -> None:
    user = await make_user(console, "tester", role, "aarhus" if role is Role.MUNICIPALITY_ADMIN else None)
    if role is Role.CONSORTIUM_ADMIN:
        await stores(console).users.enable_second_factor(user.id, SECRET)
    await log_in(console, "tester", totp_secret=SECRET if role is Role.CONSORTIUM_ADMIN else None)


async def test_the_page_shows_booking_health_twilio_and_the_embed(make_console: Make) -> None:
    console = await make_console(sms=FakeSms())
    log = BookingHealthLog(console.app[ENGINE], clock=lambda: NOW)
    await log.record(BookingCall("aarhus", NOW - timedelta(hours=2), "GET /services", 80, ok=True))
    failed = BookingCall("aarhus", NOW - timedelta(hours=1), "GET /slots", 2100, ok=False, error="no answer within 2.0 s")
    await log.record(failed)
    await log.record(BookingCall("skive", NOW - timedelta(hours=1), "GET /slots", 10, ok=True))
    await _admin(console)
    page = await (await console.get(PAGE)).text()
    assert "slået til" in page
    assert "2 kald, 1 fejl" in page and "fejlede (2100 ms): no answer within 2.0 s" in page
    assert "Twilio er sat op" in page
    assert '<script src="http://127.0.0.1:8080/embed.js" data-municipality="aarhus" async></script>' in html.unescape(page)
    assert "https://www.aarhus.dk" in page
    assert "ikke gennemgået endnu" in page


async def test_without_twilio_it_says_sandbox(make_console: Make, tmp_path: Path) -> None:
    console = await make_console(sms=OutboxSmsSender(tmp_path / "outbox.jsonl", b"k" * 32))
    await _admin(console)
    page = await (await console.get(PAGE)).text()
    assert "SANDBOX" in page and "Twilio er ikke sat op" in page


async def test_a_booking_api_that_does_not_answer_gets_a_clear_result_quickly(
    make_console: Make, aiohttp_server: Callable[..., Awaitable[TestServer]], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def silent(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/{tail:.*}", silent)
    server = await aiohttp_server(app)
    monkeypatch.setenv("MUNI_BOOKING_URL_AARHUS", str(server.make_url("/aarhus/v1")))
    monkeypatch.setenv("MUNI_BOOKING_KEY_AARHUS", "key")
    monkeypatch.setenv("MUNI_BOOKING_TIMEOUT_S", "0.3")
    console = await make_console()
    await _admin(console)
    token = csrf_of(await (await console.get(PAGE)).text())
    started = time.monotonic()
    response = await console.post(f"{PAGE}/booking-test", data={"csrf": token})
    elapsed = time.monotonic() - started
    page = await response.text()
    assert response.status == 200 and elapsed < 3.0
    assert "svarede ikke som ventet" in page and "Det seneste døgn" in page
    assert "1 kald, 1 fejl" in page  # the test itself is recorded
    [entry] = [e for e in await stores(console).audit.entries("aarhus") if e.action == "integration.booking_tested"]
    assert entry.details["ok"] is False


def _store(path: Path) -> None:
    CrawlStore(path).close()  # the crawler's own schema
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO meta VALUES ('run', '2'), ('run_state', 'finished')")
        for n, outcome in enumerate(["stored", "stored", "error"], start=1):
            db.execute(
                "INSERT INTO urls (id, url, run, depth, state, outcome, fetched_at, has_page)"
                " VALUES (?, ?, 2, 0, 'done', ?, ?, ?)",
                (n, f"https://aarhus.dk/{n}", outcome, f"2026-11-30T0{n}:00:00+00:00", int(outcome == "stored")),
            )
            if outcome == "stored":
                db.execute("INSERT INTO pages VALUES (?, 'aarhus', 't', 'h', '2026-11-30T01:00:00+00:00')", (n,))
                db.execute("INSERT INTO chunks VALUES (?, 0, 't', '[]', 'x', 'h', '2026-11-30T01:00:00+00:00')", (n,))
                db.execute("INSERT INTO chunks VALUES (?, 1, 't', '[]', 'y', 'h', '2026-11-30T01:00:00+00:00')", (n,))


async def test_the_last_crawl_and_a_crawl_started_in_the_background(make_console: Make, tmp_path: Path) -> None:
    crawl_dir = tmp_path / "stores"
    _store(crawl_dir / "aarhus.sqlite")
    slow = (sys.executable, "-c", "import time; time.sleep(2)")
    console = await make_console(crawls=CrawlRunner(crawl_dir, crawl=slow, index=slow, suggest=slow))
    await _admin(console, Role.CONSORTIUM_ADMIN)
    page = await (await console.get(PAGE)).text()
    assert "30.11.2026 03:00" in page
    assert "<dt>Sider</dt><dd>2</dd>" in page and "<dd>1</dd>" in page and "<dd>4</dd>" in page
    token = csrf_of(page)
    response = await console.post(f"{PAGE}/crawl", data={"csrf": token}, allow_redirects=False)
    assert response.status == 303
    page = await (await console.get(response.headers["Location"])).text()
    assert "Gennemgangen af hjemmesiden er startet" in page and "kører" in page and "disabled" in page
    assert "trin: gennemgår hjemmesiden" in page
    again = await console.post(f"{PAGE}/crawl", data={"csrf": token}, allow_redirects=False)
    assert again.status == 303  # a second click while it runs starts nothing more
    started = [e for e in await stores(console).audit.entries(None) if e.action == "integration.crawl_started"]
    assert len(started) == 1


async def test_the_page_shows_the_progress_of_a_running_crawl(make_console: Make, tmp_path: Path) -> None:
    crawl_dir = tmp_path / "stores"
    _store(crawl_dir / "aarhus.sqlite")
    with sqlite3.connect(crawl_dir / "aarhus.sqlite") as db:  # the crawler is half-way through run 2
        db.execute("UPDATE meta SET value = 'running' WHERE key = 'run_state'")
        db.executemany(
            "INSERT INTO urls (url, run, depth, state) VALUES (?, 2, 1, ?)",
            [("https://aarhus.dk/a", "queued"), ("https://aarhus.dk/b", "inflight")],
        )
    console = await make_console(crawls=CrawlRunner(crawl_dir))
    await _admin(console, Role.CONSORTIUM_ADMIN)
    page = await (await console.get(PAGE)).text()
    assert "I gang: 3 sider gennemgået, 2 i kø" in page


async def test_a_crawl_from_the_console_crawls_indexes_and_refreshes_suggestions_in_turn(
    make_console: Make, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    gate = tmp_path / "gate"

    def step(name: str, code: int = 0, wait: bool = False) -> tuple[str, ...]:
        script = (
            "import pathlib, sys, time\n"
            f"while {wait} and not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.05)\n"
            f"open({str(marks)!r}, 'a').write('{name} ' + ' '.join(sys.argv[1:]) + '\\n')\n"
            f"raise SystemExit({code})"
        )
        return (sys.executable, "-c", script, "{slug}")

    runner = CrawlRunner(
        tmp_path / "stores", crawl=step("crawl", code=1), index=step("index", wait=True), suggest=step("suggest")
    )
    console = await make_console(crawls=runner)
    await _admin(console, Role.CONSORTIUM_ADMIN)
    token = csrf_of(await (await console.get(PAGE)).text())
    assert (await console.post(f"{PAGE}/crawl", data={"csrf": token}, allow_redirects=False)).status == 303
    for _ in range(200):  # the crawl step has failed; the index step waits for the gate
        if runner.stage("aarhus") == "Opdaterer søgeindekset":
            break
        await asyncio.sleep(0.05)
    page = await (await console.get(PAGE)).text()
    assert "trin: opdaterer søgeindekset" in page
    gate.touch()
    for _ in range(200):
        if not runner.running("aarhus"):
            break
        await asyncio.sleep(0.05)
    assert marks.read_text().split("\n")[:3] == ["crawl aarhus", "index aarhus", "suggest aarhus"]
    page = await (await console.get(PAGE)).text()
    assert 'fejlede under trinnet "gennemgår hjemmesiden"' in html.unescape(page) and "kører" not in page


async def test_a_municipality_admin_may_not_start_a_crawl(make_console: Make) -> None:
    console = await make_console()
    await _admin(console)
    page = await (await console.get(PAGE)).text()
    assert "Gennemgå hjemmesiden nu" not in page
    response = await console.post(f"{PAGE}/crawl", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert response.status == 403

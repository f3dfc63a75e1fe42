"""`make bench-stats`: the statistics page and the CSV over a year, for one municipality and the consortium.

Runs the real gateway (create_app) in-process on the database bench.stats_history filled, logs
in as a municipality admin and as the consortium's admin, and prints p50/p95 of each request.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import pyotp
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from admin.roles import Role
from admin.state import ADMIN_APP, STORES
from bench.stats_history import DAYS, FIRST_DAY, MUNICIPALITIES
from conversation.directory import Directory
from gateway.app import create_app
from gateway.settings import GatewaySettings
from muni.db import open_engine

PASSWORD = "en lang og god sætning til benchmark"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class _Centre:
    phone = "70 20 30 40"

    def hours_text(self, at: datetime | None = None, language: str = "da") -> str:
        return "hverdage 8-16"

    def status_text(self, at: datetime, language: str = "da") -> str:
        return "åbent"


async def _log_in(client: TestClient, username: str, secret: str | None, at: datetime) -> None:
    csrf = re.compile(r'name="csrf" value="([0-9a-f]*)"')
    found = csrf.search(await (await client.get("/admin/login")).text())
    assert found is not None, "the login page has no form"
    token = found.group(1)
    await client.post("/admin/login", data={"csrf": token, "username": username, "password": PASSWORD, "next": ""})
    if secret is not None:
        found = csrf.search(await (await client.get("/admin/login/second-factor")).text())
        assert found is not None, "the second-factor page has no form"
        token = found.group(1)
        code = pyotp.TOTP(secret).at(at)
        await client.post("/admin/login/second-factor", data={"csrf": token, "code": code, "next": "/admin/"})


async def _time(client: TestClient, path: str, runs: int) -> tuple[float, float, float]:
    """p50 and p95 of the wall time, and the median CPU time of this process (server and client) per request.

    On a shared machine the wall time includes waiting for a core; the CPU time does not.
    """
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await client.get(path)
        await response.read()
        assert response.status == 200, (path, response.status)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, round(0.95 * len(timings)) - 1)], statistics.median(cpu)


async def bench(url: str, runs: int) -> None:
    now = datetime.combine(FIRST_DAY + timedelta(days=DAYS), datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
    settings = GatewaySettings(
        secret_key="bench-" + "s" * 40, rasa_url="http://127.0.0.1:9", actions_url="http://127.0.0.1:9", database_url=url
    )
    directory = Directory(
        municipalities={slug: slug.capitalize() for slug in MUNICIPALITIES}, topics=frozenset(), contact_centre=_Centre()
    )
    app = create_app(settings, directory, now=lambda: now)
    async with TestClient(TestServer(app)) as client:
        users = app[ADMIN_APP][STORES].users
        for name, role, slug in (
            ("bench.kommune", Role.MUNICIPALITY_ADMIN, MUNICIPALITIES[0]),
            ("bench.konsortie", Role.CONSORTIUM_ADMIN, None),
        ):
            if await users.by_name(name) is None:
                await users.create(name, role, slug, PASSWORD, now)
        consortium = await users.by_name("bench.konsortie")
        assert consortium is not None
        await users.enable_second_factor(consortium.id, SECRET)
        year = f"from={(now.date() - timedelta(days=364)).isoformat()}&to={now.date().isoformat()}"
        await _log_in(client, "bench.kommune", None, now)
        results = {
            "statistics page, one municipality": await _time(client, f"/admin/m/{MUNICIPALITIES[0]}/stats?{year}", runs),
            "CSV, one municipality": await _time(client, f"/admin/m/{MUNICIPALITIES[0]}/stats.csv?{year}", runs),
        }
        client.session.cookie_jar.clear()
        await _log_in(client, "bench.konsortie", SECRET, now)
        results["consortium overview page"] = await _time(client, f"/admin/stats?{year}", runs)
        results["CSV, consortium"] = await _time(client, f"/admin/stats.csv?{year}", runs)
    print(f"{url.split('://')[0]}: a year ({year}), {runs} requests each")
    for name, (p50, p95, cpu) in results.items():
        verdict = "ok" if p95 <= 500 else "OVER 500 ms"
        print(f"  {name:38s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {verdict:11s}   CPU p50 {cpu:7.1f} ms")


async def _answers(url: str) -> bool:
    """Whether the database answers (PostgreSQL may not run here: then it is left out, said so)."""
    engine = open_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except (OSError, SQLAlchemyError):
        return False
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not asyncio.run(_answers(args.url)):
        print(f"{args.url.split('://')[0]}: no database answers at {args.url}: skipped (make stats-history fills it)")
        return
    asyncio.run(bench(args.url, args.runs))


if __name__ == "__main__":
    main()

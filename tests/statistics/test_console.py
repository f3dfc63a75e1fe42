"""The statistics page and the CSV exports count what the scripted day did; bad input gets a clear answer."""

from __future__ import annotations

import csv
import io

import pytest

from tests.admin.support import log_in, stores
from tests.statistics.conftest import DAY, SECRET
from tests.voice.support import Clock
from tests.web.support import Client


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_csv_has_a_row_per_day_and_channel_with_the_counts(client: Client, clock: Clock) -> None:
    await log_in(client, "anne.aarhus", at=clock.now)
    response = await client.get(f"/admin/m/aarhus/stats.csv?{DAY}")
    assert response.status == 200 and response.content_type == "text/csv"
    rows = {row["channel"]: row for row in rows_of(await response.text())}
    assert set(rows) == {"web", "api", "sms", "voice"}
    web = rows["web"]
    assert (web["date"], web["conversations"], web["resolved"], web["handoffs"], web["fallbacks"]) == (
        "2026-03-02", "5", "2", "2", "2",
    )  # fmt: skip
    assert (web["ratings"], web["rating_mean"], web["rating_7_or_more"]) == ("1", "8.000", "1.000")
    assert (rows["voice"]["conversations"], rows["voice"]["resolved"], rows["voice"]["rating_mean"]) == ("1", "1", "9.000")
    assert rows["api"]["handoff_asked_for_human"] == "1" and rows["api"]["rating_mean"] == ""
    entries = await stores(client).audit.entries("aarhus")
    assert any(entry.action == "statistics.export" for entry in entries)


async def test_the_page_shows_the_figures_beside_their_targets(client: Client, clock: Clock) -> None:
    await log_in(client, "anne.aarhus", at=clock.now)
    response = await client.get(f"/admin/m/aarhus/stats?{DAY}")
    html = await response.text()
    assert response.status == 200, html
    assert "50 %" in html and "mål 70 %" in html  # 4 of 8 resolved
    assert "<strong>8,5</strong>" in html and "mål mindst 7" in html  # (8 + 9) / 2
    assert "<strong>45 s</strong>" in html and "mål højst 60 s" in html
    assert html.count("<svg") == 4 and html.count("<details>") >= 4
    voice = await client.get(f"/admin/m/aarhus/stats?{DAY}&channel=voice")
    assert "<strong>100 %</strong>" in await voice.text()  # the one voice conversation was resolved


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-05&to=2026-03-01", "Fra-datoen skal ligge før"),
        ("from=2026-13-01&to=2026-03-01", "ÅÅÅÅ-MM-DD"),
        ("from='; DROP TABLE turns;--", "ÅÅÅÅ-MM-DD"),
    ],
)
async def test_a_bad_period_gets_a_danish_message_not_an_error(client: Client, clock: Clock, query: str, message: str) -> None:
    await log_in(client, "anne.aarhus", at=clock.now)
    for path in ("/admin/m/aarhus/stats", "/admin/m/aarhus/stats.csv"):
        response = await client.get(f"{path}?{query}")
        assert response.status == 400 and message in await response.text(), path


async def test_ten_years_are_served_from_the_aggregates(client: Client, clock: Clock) -> None:
    await log_in(client, "anne.aarhus", at=clock.now)
    response = await client.get("/admin/m/aarhus/stats.csv?from=2016-03-03&to=2026-03-02")
    assert response.status == 200 and len(rows_of(await response.text())) == 4


async def test_another_municipality_s_figures_are_not_shown(client: Client, clock: Clock) -> None:
    for user in ("sofie.skive", "hotline.agent"):
        client.session.cookie_jar.clear()
        await log_in(client, user, at=clock.now)
        for path in (f"/admin/m/aarhus/stats?{DAY}", f"/admin/m/aarhus/stats.csv?{DAY}", f"/admin/stats.csv?{DAY}"):
            response = await client.get(path, allow_redirects=False)
            assert response.status in (403, 404), (user, path)
            assert "conversations" not in await response.text()


async def test_the_consortium_sees_every_municipality_and_the_total(client: Client, clock: Clock) -> None:
    await log_in(client, "konsortiet", totp_secret=SECRET, at=clock.now)
    response = await client.get(f"/admin/stats.csv?{DAY}")
    rows = rows_of(await response.text())
    assert rows and all(row["municipality"] == "aarhus" for row in rows)
    assert sum(int(row["conversations"]) for row in rows) == 8
    page = await client.get(f"/admin/stats?{DAY}&sort=conversations&order=desc")
    html = await page.text()
    assert page.status == 200, html
    assert html.index("Aarhus Kommune") < html.index("Skive Kommune")
    assert 'aria-sort="descending"' in html and "Konsortiet i alt" in html
    by_name = await (await client.get(f"/admin/stats?{DAY}&sort=name&order=desc")).text()
    assert by_name.index("Skive Kommune") < by_name.index("Aarhus Kommune")

"""The CSV exports, formatted by the database since stats3, are what csv.writer wrote from the summed rows."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import insert

from admin.statistics import CSV_COLUMNS
from conversation.state import ENGINE
from conversation.statistics.aggregate import DailyRow, Statistics
from conversation.statistics.tables import COUNTERS, SCORES, stats_channel_daily, stats_days
from muni.logs import REQUEST_ID_HEADER
from tests.admin.support import log_in, stores
from tests.statistics.conftest import SECRET
from tests.voice.support import Clock
from tests.web.support import Client

FIRST = date(2026, 2, 27)
LAST = date(2026, 3, 2)  # the scripted day, not aggregated yet: computed live
PERIOD = f"from={FIRST.isoformat()}&to={LAST.isoformat()}"
ODD = 'by, "nord"'  # a name csv.writer quotes


def the_old_way(rows: list[DailyRow], consortium: bool) -> str:
    """The export as it was written before stats3: csv.writer over each summed row's values."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((("municipality",) if consortium else ()) + CSV_COLUMNS)
    for row in rows:
        rated = row.counts["ratings"]
        mean = row.counts["rating_sum"] / rated if rated else None
        satisfied = sum(row.counts[f"rating_{score}"] for score in SCORES if score >= 7) / rated if rated else None
        writer.writerow(
            ((row.municipality,) if consortium else ())
            + (row.day.isoformat(), row.channel, *(row.counts[name] for name in CSV_COLUMNS[2:-2]))
            + tuple("" if value is None else f"{value:.3f}" for value in (mean, satisfied))
        )
    return out.getvalue()


def _row(day: date, municipality: str, channel: str, **counts: int) -> dict[str, object]:
    return {"day": day, "municipality": municipality, "channel": channel, **dict.fromkeys(COUNTERS, 0), **counts}


async def _store_two_days(client: Client, clock: Clock) -> None:
    """Two aggregated days before the scripted one, with ties in the decimals and a name to quote."""
    sixteen = {"ratings": 16, "rating_sum": 113, "rating_7": 5, "rating_9": 4, "rating_5": 7}  # 7.0625 and 0.5625
    rows = [
        _row(FIRST, "aarhus", "web", conversations=40, citizen_turns=90, resolved=30, handoffs=6, **sixteen),
        _row(FIRST, "aarhus", "voice", conversations=3, handoff_safety=1, handoffs=1),
        _row(FIRST, ODD, "sms", conversations=7, sms_links_sent=9, ratings=3, rating_sum=20, rating_6=1, rating_7=2),
        _row(FIRST + timedelta(days=1), "aarhus", "api", conversations=1, fallbacks=1, ratings=1, rating_sum=2, rating_2=1),
        _row(FIRST + timedelta(days=1), "københavn", "qr", conversations=2, bookings=1, resolved=2),
    ]
    async with client.app[ENGINE].begin() as connection:
        await connection.execute(insert(stats_channel_daily), rows)
        await connection.execute(
            insert(stats_days), [{"day": FIRST + timedelta(days=n), "aggregated_at": clock.now} for n in range(2)]
        )


async def test_the_csv_is_what_csv_writer_wrote_from_the_summed_rows(client: Client, clock: Clock) -> None:
    await _store_two_days(client, clock)
    statistics = Statistics(client.app[ENGINE])
    by_channel = ("day", "municipality", "channel")

    await log_in(client, "konsortiet", totp_secret=SECRET, at=clock.now)
    response = await client.get(f"/admin/stats.csv?{PERIOD}")
    text = await response.text()
    assert response.status == 200, text
    assert text == the_old_way(await statistics.summed(FIRST, LAST, by_channel), consortium=True)
    assert '"by, ""nord""",2026-02-27,sms,7,0,0,0,0,0,0,0,0,0,9,3,6.667,0.667\r\n' in text
    assert "\r\naarhus,2026-02-27,web,40,90,30,6,0,0,0,0,0,0,0,16,7.062,0.562\r\n" in text  # a tie, to even
    assert "\r\naarhus,2026-03-02,web,5," in text  # the live day follows the stored ones
    assert response.content_type == "text/csv" and response.charset == "utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="muni-konsortiet-{FIRST}-{LAST}.csv"'
    # Streamed, so sent before the middlewares see it: the console's headers and the request id all the same.
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers.get(REQUEST_ID_HEADER)
    [entry] = [e for e in await stores(client).audit.entries(None) if e.action == "statistics.export"]
    assert entry.details["rows"] == len(text.splitlines()) - 1
    head = await client.head(f"/admin/stats.csv?{PERIOD}")
    assert head.status == 200 and head.content_type == "text/csv" and await head.read() == b""

    client.session.cookie_jar.clear()
    await log_in(client, "anne.aarhus", at=clock.now)
    response = await client.get(f"/admin/m/aarhus/stats.csv?{PERIOD}")
    text = await response.text()
    assert text == the_old_way(await statistics.summed(FIRST, LAST, by_channel, "aarhus"), consortium=False)
    assert text.startswith("date,channel,conversations,") and "københavn" not in text and "nord" not in text
    assert "\r\n2026-02-28,api,1,0,0,0,0,0,0,0,1,0,0,1,2.000,0.000\r\n" in text

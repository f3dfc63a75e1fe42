"""GET /admin/m/{slug}/stats, its CSV export, and the consortium's overview and export (issue 14)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiohttp import web

from admin.charts import bar_chart
from admin.figures import (
    CHANNEL_LABELS,
    RESOLVED_TARGET,
    SATISFACTION_TARGET,
    WAIT_TARGET_S,
    PeriodError,
    Totals,
    parse_period,
    series,
)
from admin.guard import client, current_user, forbid, now
from admin.pages import municipality_nav, render
from admin.roles import User, may_view_consortium_statistics, may_view_statistics
from admin.state import STORES
from conversation.state import DIRECTORY, ENGINE
from conversation.statistics.aggregate import Statistics, danish_day
from conversation.statistics.definition import HANDOFF_REASON_LABELS, HANDOFF_REASONS, RESOLVED_DEFINITION
from conversation.statistics.export import csv_lines
from conversation.statistics.tables import SCORES
from muni.logs import REQUEST_ID, REQUEST_ID_HEADER

CSV_COLUMNS = (
    "date", "channel", "conversations", "citizen_turns", "resolved", "handoffs",
    *(f"handoff_{reason}" for reason in HANDOFF_REASONS),
    "fallbacks", "bookings", "sms_links_sent", "ratings", "rating_mean", "rating_7_or_more",
)  # fmt: skip
CSV_CHUNK_LINES = 2000  # some 120 kB a write
SORTS = {
    "name": "Kommune",
    "conversations": "Samtaler",
    "resolved": "Løst uden overdragelse",
    "satisfaction": "Tilfredshed",
    "handoffs": "Overdragelser",
}


def _statistics(request: web.Request) -> Statistics:
    return Statistics(request.config_dict[ENGINE])


def _municipality(request: web.Request, user: User) -> str:
    """The slug, when `user` may see its statistics; 404 for an unknown one, 403 for another's."""
    slug = request.match_info["slug"]
    if slug not in request.config_dict[DIRECTORY].municipalities:
        raise web.HTTPNotFound()
    if not may_view_statistics(user, slug):
        raise forbid()
    return slug


def _channel(request: web.Request) -> str | None:
    channel = request.query.get("channel") or None
    return channel if channel in CHANNEL_LABELS else None


async def statistics_page(request: web.Request) -> web.Response:
    """The municipality's figures beside the targets, with the trend against the previous period."""
    user = current_user(request)
    slug = _municipality(request, user)
    context: dict[str, Any] = {
        "slug": slug,
        "name": request.config_dict[DIRECTORY].municipalities[slug],
        "municipality_nav": municipality_nav(slug, current_user(request), current="stats"),
        "definition": RESOLVED_DEFINITION,
        "channels": CHANNEL_LABELS,
        "channel": _channel(request),
        "query": {"from": request.query.get("from", ""), "to": request.query.get("to", "")},
    }
    today = danish_day(now(request))
    try:
        period = parse_period(request.query, today)
    except PeriodError as error:
        return render(request, "statistics.html", {**context, "error": str(error), "period": None}, status=400)
    statistics = _statistics(request)
    channel = context["channel"]
    rows = await statistics.summed(period.first, period.last, ("day", "channel"), slug, channel)
    before = period.previous()
    earlier = await statistics.summed(before.first, before.last, ("channel",), slug, channel)
    voice = [] if channel not in (None, "voice") else await statistics.voice_daily(period.first, period.last, slug)
    voice_before = [] if channel not in (None, "voice") else await statistics.voice_daily(before.first, before.last, slug)
    totals, previous = Totals.of(rows, voice), Totals.of(earlier, voice_before)
    await request.app[STORES].audit.record(
        "statistics.view", now(request), actor_id=user.id, client=client(request), municipality=slug,
        first=period.first.isoformat(), last=period.last.isoformat(), channel=channel,
    )  # fmt: skip
    return render(
        request,
        "statistics.html",
        {
            **context,
            "error": None,
            "period": period,
            "totals": totals,
            "previous": previous,
            "targets": {"resolved": RESOLVED_TARGET, "satisfaction": SATISFACTION_TARGET, "wait": WAIT_TARGET_S},
            "reasons": [(reason, HANDOFF_REASON_LABELS[reason]) for reason in HANDOFF_REASONS],
            "charts": [
                bar_chart("conversations", "Samtaler", "samtaler", series(rows, period, "conversations")),
                bar_chart("resolved", "Løst uden overdragelse", "samtaler", series(rows, period, "resolved")),
                bar_chart("handoffs", "Overdragelser", "samtaler", series(rows, period, "handoffs")),
            ],
            "ratings_chart": bar_chart(
                "ratings", "Bedømmelser (1-9)", "bedømmelser", [(str(s), n) for s, n in totals.distribution]
            ),
            "presets": _presets(today),
            "sms_opened": [sum(r.counts["conversations"] for r in rs if r.channel == "sms") for rs in (rows, earlier)],
            "scores": SCORES,
        },
    )


def _presets(today: date) -> list[tuple[str, str, str]]:
    """Links for the usual periods: (label, from, to)."""
    return [
        ("I dag", today.isoformat(), today.isoformat()),
        ("Sidste 7 dage", (today - timedelta(days=6)).isoformat(), today.isoformat()),
        ("Sidste 30 dage", (today - timedelta(days=29)).isoformat(), today.isoformat()),
        ("Sidste 12 måneder", (today - timedelta(days=364)).isoformat(), today.isoformat()),
    ]


async def statistics_csv(request: web.Request) -> web.StreamResponse:
    """GET /admin/m/{slug}/stats.csv?from=&to= – one row per day and channel; audited."""
    user = current_user(request)
    slug = _municipality(request, user)
    return await _export(request, user, slug)


async def consortium_csv(request: web.Request) -> web.StreamResponse:
    """GET /admin/stats.csv?from=&to= – every municipality, with a municipality column; audited."""
    user = current_user(request)
    if not may_view_consortium_statistics(user):
        raise forbid()
    return await _export(request, user, None)


async def _export(request: web.Request, user: User, slug: str | None) -> web.StreamResponse:
    try:
        period = parse_period(request.query, danish_day(now(request)))
    except PeriodError as error:
        # A plain answer, not the console's error page: the export is usually fetched by a script.
        return web.Response(status=400, text=str(error), content_type="text/plain", charset="utf-8")
    lines = await csv_lines(request.config_dict[ENGINE], period.first, period.last, slug, CSV_COLUMNS[2:-2])
    await request.app[STORES].audit.record(
        "statistics.export", now(request), actor_id=user.id, client=client(request), municipality=slug,
        first=period.first.isoformat(), last=period.last.isoformat(), rows=len(lines),
    )  # fmt: skip
    # Streamed in chunks from the lines read (the database is not held while a slow client reads):
    # no 3 MB text and its bytes beside the lines, and the loop serves others between the chunks.
    name = f"muni-{slug or 'konsortiet'}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    response = web.StreamResponse(headers={"Content-Disposition": f'attachment; filename="{name}"'})
    response.content_type, response.charset = "text/csv", "utf-8"
    if (request_id := REQUEST_ID.get()) is not None:  # the middleware can only add it to an unsent response
        response.headers[REQUEST_ID_HEADER] = request_id
    await response.prepare(request)  # the console's security headers are added here (admin.app's secure_prepared)
    if request.method == "HEAD":
        return response  # the headers only
    header = ",".join((("municipality",) if slug is None else ()) + CSV_COLUMNS) + "\r\n"
    try:
        await response.write(header.encode())
        for start in range(0, len(lines), CSV_CHUNK_LINES):
            await response.write("".join(lines[start : start + CSV_CHUNK_LINES]).encode())
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client left: nothing more to send, and no error page to send after the headers
    return response


async def consortium_page(request: web.Request) -> web.Response:
    """GET /admin/stats – every municipality side by side (sorted by a link, server-side) and the total."""
    user = current_user(request)
    if not may_view_consortium_statistics(user):
        raise forbid()
    names = request.config_dict[DIRECTORY].municipalities
    context: dict[str, Any] = {"query": {"from": request.query.get("from", ""), "to": request.query.get("to", "")}}
    try:
        period = parse_period(request.query, danish_day(now(request)))
    except PeriodError as error:
        return render(request, "consortium.html", {**context, "error": str(error), "period": None}, status=400)
    statistics = _statistics(request)
    rows = await statistics.summed(period.first, period.last, ("municipality",))
    voice = await statistics.voice_summed(period.first, period.last)
    per: dict[str, Totals] = {
        slug: Totals.of([r for r in rows if r.municipality == slug], [v for v in voice if v.municipality == slug])
        for slug in names
    }
    sort = request.query.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    descending = request.query.get("order", "desc" if sort != "name" else "asc") == "desc"
    table = sorted(per.items(), key=lambda item: _sort_key(item, sort, names), reverse=descending)
    await request.app[STORES].audit.record(
        "statistics.view", now(request), actor_id=user.id, client=client(request),
        first=period.first.isoformat(), last=period.last.isoformat(),
    )  # fmt: skip
    return render(
        request,
        "consortium.html",
        {
            **context,
            "error": None,
            "period": period,
            "names": names,
            "table": table,
            "total": Totals.of(rows, voice),
            "sorts": SORTS,
            "sort": sort,
            "descending": descending,
            "targets": {"resolved": RESOLVED_TARGET, "satisfaction": SATISFACTION_TARGET, "wait": WAIT_TARGET_S},
        },
    )


def _sort_key(item: tuple[str, Totals], sort: str, names: Any) -> Any:
    slug, totals = item
    if sort == "name":
        return names[slug]
    if sort == "resolved":
        return totals.resolved_share or -1.0
    if sort == "satisfaction":
        return totals.rating_mean or -1.0
    return totals.counts[sort]

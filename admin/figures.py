"""The statistics page's figures from the daily rows: periods, totals, targets and trends (no aiohttp)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from conversation.statistics.aggregate import DailyRow, VoiceRow
from conversation.statistics.tables import COUNTERS, SCORES, VOICE_COUNTERS

# The contact centre's targets (shared/municipalities.yml, kpis): straksafklaring, satisfaction, wait.
RESOLVED_TARGET = 0.70
SATISFACTION_TARGET = 7.0
WAIT_TARGET_S = 60
MAX_DAYS = 3660 + 3  # ten years and their leap days are allowed: they come from the aggregates
CHANNEL_LABELS = {"web": "Web", "sms": "SMS-link", "qr": "QR-kode", "voice": "Telefon", "api": "API"}


class PeriodError(ValueError):
    """A period the console cannot show; the message is for staff, in Danish."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one, for the trend."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


def parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"'{name}' skal være en dato skrevet ÅÅÅÅ-MM-DD, fx 2026-03-01.") from None


def parse_period(query: Mapping[str, str], today: date, default_days: int = 30) -> Period:
    """`from` and `to` (YYYY-MM-DD, both included); the last `default_days` days up to today without them."""
    last = parse_day(query["to"], "to") if query.get("to") else today
    first = parse_day(query["from"], "from") if query.get("from") else last - timedelta(days=default_days - 1)
    if first > last:
        raise PeriodError("Fra-datoen skal ligge før eller på til-datoen.")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("Perioden må højst være ti år.")
    return Period(first, last)


@dataclass(frozen=True)
class Totals:
    """Summed counters of a period (conversation rows and phone rows)."""

    counts: dict[str, int]
    voice: dict[str, int]

    @classmethod
    def of(cls, rows: Iterable[DailyRow], voice: Iterable[VoiceRow] = ()) -> Totals:
        counts = dict.fromkeys(COUNTERS, 0)
        for row in rows:
            for name in COUNTERS:
                counts[name] += row.counts[name]
        calls = dict.fromkeys(VOICE_COUNTERS, 0)
        for vrow in voice:
            for name in VOICE_COUNTERS:
                calls[name] += vrow.counts[name]
        return cls(counts, calls)

    @property
    def resolved_share(self) -> float | None:
        return _share(self.counts["resolved"], self.counts["conversations"])

    @property
    def rating_mean(self) -> float | None:
        return _share(self.counts["rating_sum"], self.counts["ratings"])

    @property
    def rating_7_or_more(self) -> float | None:
        return _share(sum(self.counts[f"rating_{s}"] for s in SCORES if s >= 7), self.counts["ratings"])

    @property
    def mean_wait_s(self) -> float | None:
        return _share(self.voice["agent_wait_s_sum"], self.voice["agent_waits"])

    @property
    def distribution(self) -> list[tuple[int, int]]:
        return [(score, self.counts[f"rating_{score}"]) for score in SCORES]


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def bucket_of(day: date, days: int) -> date:
    """The chart's bucket for a day: the day itself, its week's Monday, or its month's first day."""
    if days <= 31:
        return day
    if days <= 26 * 7:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def bucket_label(bucket: date, days: int) -> str:
    if days <= 31:
        return bucket.strftime("%d.%m")
    if days <= 26 * 7:
        return f"uge {bucket.isocalendar().week}"
    return bucket.strftime("%m.%Y")


def series(rows: Iterable[DailyRow], period: Period, name: str) -> list[tuple[str, int]]:
    """One counter per bucket over the period, empty buckets included, in order."""
    buckets: dict[date, int] = {}
    day = period.first
    while day <= period.last:
        buckets.setdefault(bucket_of(day, period.days), 0)
        day += timedelta(days=1)
    for row in rows:
        buckets[bucket_of(row.day, period.days)] += row.counts[name]
    return [(bucket_label(b, period.days), n) for b, n in sorted(buckets.items())]

"""Danish public holidays, and the days the citizen service is closed anyway."""

from __future__ import annotations

import functools
from datetime import date, timedelta


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 19 * l) // 433
    month = (h + l - 7 * m + 90) // 25
    day = (h + l - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


@functools.cache
def holidays(year: int) -> dict[date, str]:
    """Public holidays plus the days citizen services close (Grundlovsdag, 24 and 31 December)."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "nytårsdag",
        easter - timedelta(days=3): "skærtorsdag",
        easter - timedelta(days=2): "langfredag",
        easter: "påskedag",
        easter + timedelta(days=1): "2. påskedag",
        easter + timedelta(days=39): "Kristi himmelfartsdag",
        easter + timedelta(days=49): "pinsedag",
        easter + timedelta(days=50): "2. pinsedag",
        date(year, 6, 5): "grundlovsdag",
        date(year, 12, 24): "juleaftensdag",
        date(year, 12, 25): "juledag",
        date(year, 12, 26): "2. juledag",
        date(year, 12, 31): "nytårsaftensdag",
    }


def holiday_name(day: date) -> str | None:
    return holidays(day.year).get(day)

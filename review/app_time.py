"""The analysts' clock: stored times are UTC, pages and tables speak Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from store.clock import as_utc

BEIJING = ZoneInfo("Asia/Shanghai")


def cst(value: datetime | None) -> str:
    value = as_utc(value)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value else ""


def day_start(day: date) -> datetime:
    """Midnight in Beijing of `day`, as UTC: a date the analyst picks is a Beijing date, and
    SQLite compares stored UTC times as text, so the bound must be UTC too."""
    return datetime.combine(day, time(), BEIJING).astimezone(UTC)


def day_end(day: date) -> datetime:
    """The first instant after `day` (Beijing), as UTC: use with `<`."""
    return day_start(day + timedelta(days=1))

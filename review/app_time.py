"""The analysts' clock: stored times are UTC, pages and tables speak Beijing time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from store.clock import as_utc

BEIJING = ZoneInfo("Asia/Shanghai")


def cst(value: datetime | None) -> str:
    value = as_utc(value)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value else ""

"""Times as the records show them: UTC with a Z, and Asia/Shanghai (UTC+8, no DST)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from store.clock import as_utc

# China has kept UTC+8 without daylight saving since 1991; a fixed offset needs no tzdata.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def utc_z(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")


def shanghai(at: datetime) -> datetime:
    return as_utc(at).astimezone(SHANGHAI).replace(microsecond=0)


def shanghai_text(at: datetime) -> str:
    return shanghai(at).strftime("%Y年%m月%d日 %H:%M:%S（北京时间）")

"""Nightly runs and their per-source figures: the history the monitor compares against."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class NightlyRun(Base):
    """One `certwatch nightly`: crawl, hunt, diff, digest, delivery."""

    __tablename__ = "nightly_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # The cron slot this run served (None: started by hand).
    scheduled_for: Mapped[datetime | None] = mapped_column(index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    # running | finished (digest written) | failed (crashed or killed before reporting)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    batch: Mapped[str | None] = mapped_column(String(40))
    hostname: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    # Monitor findings: [{"kind": "drop"|"errors"|"empty"|"failed", "source", "message"}]
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Diff counts, step outcomes (hunt, evidence, delivery), digest paths.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class NightlySourceStat(Base):
    """What one source yielded in one nightly: the monitor's time series."""

    __tablename__ = "nightly_source_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    nightly_id: Mapped[int] = mapped_column(ForeignKey("nightly_runs.id"), index=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    listings: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error_rate: Mapped[float] = mapped_column(Float, default=0.0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)

"""Cron slots and the ones the stored nightly history shows were missed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from store.clock import as_utc
from store.nightly_models import NightlyRun

MAX_SLOTS = 1000  # a second-level cron over a long outage must not loop for ever


def next_slot(cron: str, zone: str, after: datetime) -> datetime:
    local = after.astimezone(ZoneInfo(zone))
    return croniter(cron, local).get_next(datetime).astimezone(after.tzinfo)


def latest_slot(cron: str, zone: str, at: datetime) -> datetime:
    """The last slot at or before `at`."""
    local = at.astimezone(ZoneInfo(zone))
    itr = croniter(cron, local)
    if croniter.match(cron, local.replace(microsecond=0)) and local.microsecond == 0:
        return at
    return itr.get_prev(datetime).astimezone(at.tzinfo)


def last_nightly_start(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return as_utc(session.scalar(
            select(NightlyRun.started_at).order_by(NightlyRun.started_at.desc()).limit(1)))


def missed_slots(engine: Engine, cron: str, zone: str, now: datetime) -> list[datetime]:
    """Slots after the last nightly started and before the current one, when none ran.

    The current slot (the latest one at or before `now`) is the one this run serves.
    """
    last = last_nightly_start(engine)
    if last is None:
        return []
    slots: list[datetime] = []
    slot = next_slot(cron, zone, last)
    while slot <= now and len(slots) < MAX_SLOTS:
        slots.append(slot)
        slot = next_slot(cron, zone, slot)
    return slots[:-1]

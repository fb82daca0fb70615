"""Dashboard figures: counts by status and label, and new hits per night as an SVG bar chart."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from review.app_time import BEIJING
from review.queue import QueueFilter, status_counts
from store.clock import as_utc
from store.models import CrawlRun, Listing, ListingEvent

FRAUD = ("guazheng", "fake_cert", "exam_fraud")
MAX_NIGHTS = 30


@dataclass
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def counts(session: Session) -> dict:
    by_status = status_counts(session, QueueFilter())
    by_label = dict(session.execute(select(Listing.label, func.count())
                                    .where(Listing.label.is_not(None))
                                    .group_by(Listing.label)).all())
    unscored = session.scalar(select(func.count()).select_from(Listing)
                              .where(Listing.label.is_(None)))
    return {"by_status": by_status,
            "by_label": {k: int(v) for k, v in by_label.items()}, "unscored": int(unscored)}


def new_hits_per_night(session: Session) -> list[tuple[str, int]]:
    """(night label, new flagged listings) per crawl batch, oldest first."""
    started = func.min(CrawlRun.started_at)
    rows = session.execute(
        select(CrawlRun.batch, started, func.max(CrawlRun.night),
               func.count(Listing.id))
        .outerjoin(ListingEvent, and_(ListingEvent.run_id == CrawlRun.id,
                                      ListingEvent.kind == "new"))
        .outerjoin(Listing, and_(Listing.id == ListingEvent.listing_id,
                                 Listing.label.in_(FRAUD)))
        .group_by(CrawlRun.batch).order_by(started.desc()).limit(MAX_NIGHTS)).all()
    out = []
    for _batch, at, night, n in rows[::-1]:
        label = as_utc(at).astimezone(BEIJING).strftime("%m-%d %H:%M") if at else "?"
        out.append((f"第{night}夜 {label}" if night else label, int(n)))
    return out


def bars(series: list[tuple[str, int]], width: int = 720, height: int = 220,
         pad: int = 30) -> list[Bar]:
    if not series:
        return []
    top = max(v for _, v in series) or 1
    slot = (width - 2 * pad) / len(series)
    out = []
    for i, (label, value) in enumerate(series):
        h = (height - 2 * pad) * value / top
        out.append(Bar(label=label, value=value, x=round(pad + i * slot + slot * 0.15, 1),
                       y=round(height - pad - h, 1), width=round(slot * 0.7, 1),
                       height=round(h, 1)))
    return out

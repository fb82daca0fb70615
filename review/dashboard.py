"""Dashboard figures: counts by status and label, and new hits per night as an SVG bar chart,
for flagged listings and lookalike sites alike."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from review.app_time import BEIJING
from review.queue import QueueFilter, status_counts
from review.sites import SiteFilter, site_status_counts
from store.clock import as_utc
from store.lookalike_models import LookalikeCandidate, LookalikeVerdict
from store.models import CrawlRun, Listing, ListingEvent

FRAUD = ("guazheng", "fake_cert", "exam_fraud")
MAX_NIGHTS = 30


@dataclass
class Night:
    label: str
    listings: int  # new flagged listings first seen by this night's crawl
    sites: int  # lookalike sites first seen after this night's crawl started

    @property
    def total(self) -> int:
        return self.listings + self.sites


@dataclass
class Bar:
    label: str
    listings: int
    sites: int
    x: float
    y: float  # top of the whole stack
    width: float
    height: float  # the whole stack
    site_height: float  # the sites' part, drawn on top

    @property
    def value(self) -> int:
        return self.listings + self.sites


def counts(session: Session) -> dict:
    by_status = status_counts(session, QueueFilter())
    by_label = dict(session.execute(select(Listing.label, func.count())
                                    .where(Listing.label.is_not(None))
                                    .group_by(Listing.label)).all())
    unscored = session.scalar(select(func.count()).select_from(Listing)
                              .where(Listing.label.is_(None)))
    sites = site_status_counts(session, SiteFilter())
    return {"by_status": by_status, "sites_by_status": sites,
            "by_label": {k: int(v) for k, v in by_label.items()}, "unscored": int(unscored),
            "lookalike_sites": sum(sites.values())}


def _latest_verdicts():  # noqa: ANN202 - subquery
    return (select(LookalikeVerdict.candidate_id, func.max(LookalikeVerdict.id).label("vid"))
            .group_by(LookalikeVerdict.candidate_id).subquery())


def new_hits_per_night(session: Session) -> list[Night]:
    """New flagged listings per crawl batch, oldest first, and the lookalike sites first seen
    between that batch's start and the next one's (the nightly hunt runs after the crawl)."""
    started = func.min(CrawlRun.started_at)
    rows = session.execute(
        select(CrawlRun.batch, started, func.max(CrawlRun.night),
               func.count(Listing.id))
        .outerjoin(ListingEvent, and_(ListingEvent.run_id == CrawlRun.id,
                                      ListingEvent.kind == "new"))
        .outerjoin(Listing, and_(Listing.id == ListingEvent.listing_id,
                                 Listing.label.in_(FRAUD)))
        .group_by(CrawlRun.batch).order_by(started.desc()).limit(MAX_NIGHTS)).all()[::-1]
    if not rows:
        return []
    starts = [as_utc(at) for _batch, at, _night, _n in rows]
    sites = [0] * len(rows)
    latest = _latest_verdicts()
    for seen in session.scalars(
            select(LookalikeCandidate.first_seen)
            .join(latest, latest.c.candidate_id == LookalikeCandidate.id)
            .join(LookalikeVerdict, LookalikeVerdict.id == latest.c.vid)
            .where(LookalikeVerdict.label == "lookalike",
                   LookalikeCandidate.first_seen >= starts[0])):
        sites[bisect_right(starts, as_utc(seen)) - 1] += 1
    out = []
    for (_batch, at, night, n), found in zip(rows, sites, strict=True):
        label = as_utc(at).astimezone(BEIJING).strftime("%m-%d %H:%M") if at else "?"
        out.append(Night(f"第{night}夜 {label}" if night else label, int(n), found))
    return out


def bars(series: list[Night], width: int = 720, height: int = 220,
         pad: int = 30) -> list[Bar]:
    if not series:
        return []
    top = max(n.total for n in series) or 1
    slot = (width - 2 * pad) / len(series)
    out = []
    for i, night in enumerate(series):
        h = (height - 2 * pad) * night.total / top
        out.append(Bar(label=night.label, listings=night.listings, sites=night.sites,
                       x=round(pad + i * slot + slot * 0.15, 1), y=round(height - pad - h, 1),
                       width=round(slot * 0.7, 1), height=round(h, 1),
                       site_height=round((height - 2 * pad) * night.sites / top, 1)))
    return out

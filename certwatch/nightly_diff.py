"""What changed since the previous nightly: listings new, changed, removed or back, and the
contacts (intermediaries) seen for the first time.

The window is by row id: each digest records the highest listing-event and contact ids it
reported (and the ids below them not yet committed then), and the next one reports everything
after. Events written late by runs that started earlier (a distributed batch closed after the
nightly stopped waiting, a long manual crawl) and listings stored by a nightly that was killed
are each reported once, by the next digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from store.clock import as_utc
from store.models import Contact, CrawlRun, Listing, ListingContact, ListingEvent, Source
from store.nightly_models import NightlyRun


@dataclass
class DiffItem:
    id: int
    source: str
    title: str
    url: str
    label: str | None
    score: float | None
    reasons: list[str] = field(default_factory=list)

    def risky(self, threshold: float) -> bool:
        return self.label not in (None, "benign") and (self.score or 0) >= threshold


@dataclass
class ContactItem:
    key: str
    kind: str
    value: str
    listing_ids: list[int]


Ranges = list[list[int]]  # [[first, last], ...] inclusive id ranges


@dataclass(frozen=True)
class IdMark:
    """Rows of one table a digest covered: ids up to `upto`, minus `gaps` (ids at or below
    `upto` that no committed row had when the digest was taken: a transaction still open
    then, or rolled back). The next digest reports ids above `upto` plus those gaps."""

    upto: int
    gaps: Ranges = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"upto": self.upto, "gaps": self.gaps}

    @classmethod
    def from_dict(cls, raw: Any) -> IdMark | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("upto"), int):
            return None
        return cls(raw["upto"], [list(r) for r in raw.get("gaps") or []])


@dataclass(frozen=True)
class DiffWindow:
    """What tonight's digest covers, from what the previous digest reported."""

    since: datetime | None = None  # when the previous digest was written (said in the digest)
    events: IdMark | None = None  # None: no id marks (first nightly, or one older than them)
    contacts: IdMark | None = None


@dataclass
class NightDiff:
    since: datetime | None
    new: list[DiffItem]
    changed: list[DiffItem]
    removed: list[DiffItem]
    reappeared: list[DiffItem]
    contacts: list[ContactItem]
    # What this diff covered, stored with the nightly so the next one starts after it.
    marks: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "changed": len(self.changed),
                "removed": len(self.removed), "reappeared": len(self.reappeared),
                "new_contacts": len(self.contacts)}


MAX_GAP_RANGES = 1000  # rolled-back batches leave gaps for good; keep the summary bounded


def previous_window(engine: Engine, current_id: int) -> DiffWindow:
    """The window after the last nightly that wrote a digest; a crashed one reported nothing."""
    with Session(engine) as session:
        row = session.execute(
            select(NightlyRun.finished_at, NightlyRun.summary)
            .where(NightlyRun.id < current_id, NightlyRun.status == "finished")
            .order_by(NightlyRun.id.desc()).limit(1)).first()
    if row is None:
        return DiffWindow()
    marks = (row.summary or {}).get("marks") or {}
    return DiffWindow(as_utc(row.finished_at), IdMark.from_dict(marks.get("events")),
                      IdMark.from_dict(marks.get("contacts")))


def previous_nightly_end(engine: Engine, current_id: int) -> datetime | None:
    """When the last nightly that wrote a digest finished."""
    return previous_window(engine, current_id).since


def _in_window(column: Any, mark: IdMark | None, upto: int) -> Any:
    if mark is None:
        return column <= upto
    after = column > mark.upto
    late = [column.between(first, last) for first, last in mark.gaps]
    return and_(column <= upto, or_(after, *late))


def _gaps(ids: list[int], after: int, upto: int) -> Ranges:
    """Ids in (after, upto] missing from the sorted `ids`, as ranges."""
    gaps: Ranges = []
    expected = after + 1
    for i in ids:
        if i > expected:
            gaps.append([expected, i - 1])
        expected = max(expected, i + 1)
    if expected <= upto:
        gaps.append([expected, upto])
    return gaps[-MAX_GAP_RANGES:]


def _mark(previous: IdMark | None, since: datetime | None, ids: list[int],
          upto: int) -> dict[str, Any]:
    if previous is None and since is not None:
        return IdMark(upto).as_dict()  # a time-based window: ids below it were not looked at
    # Gaps only above the previous mark: an id it already missed and still missing is a
    # rollback, not a late commit.
    after = previous.upto if previous else 0
    return IdMark(upto, _gaps([i for i in ids if i > after], after, upto)).as_dict()


def night_diff(engine: Engine, window: DiffWindow) -> NightDiff:
    with Session(engine) as session:
        # The upper bounds first: rows committed after this are the next digest's.
        top_event = session.scalar(select(func.max(ListingEvent.id))) or 0
        top_contact = session.scalar(select(func.max(Contact.id))) or 0
        events = select(ListingEvent.id, ListingEvent.kind, Listing, Source.name) \
            .join(Listing, Listing.id == ListingEvent.listing_id) \
            .join(Source, Source.id == Listing.source_id)
        if window.events is None and window.since is not None:
            # The previous digest predates id marks: every run started since it.
            events = events.where(ListingEvent.id <= top_event, ListingEvent.run_id.in_(
                select(CrawlRun.id).where(CrawlRun.started_at >= window.since)))
        else:
            events = events.where(_in_window(ListingEvent.id, window.events, top_event))
        rows = session.execute(events.order_by(ListingEvent.id)).all()
        by_kind: dict[str, dict[int, DiffItem]] = {k: {} for k in
                                                   ("new", "changed", "removed", "reappeared")}
        for _eid, kind, listing, source in rows:
            by_kind[kind][listing.id] = DiffItem(
                id=listing.id, source=source, title=listing.title, url=listing.url,
                label=listing.label, score=listing.score,
                reasons=[r["text"] for r in (listing.reasons or [])[:3]])
        # A listing first seen in the window is new, whatever else happened to it since.
        for kind in ("changed", "removed", "reappeared"):
            for lid in list(by_kind[kind]):
                if lid in by_kind["new"] and kind != "removed":
                    del by_kind[kind][lid]
        contacts_q = select(Contact).order_by(Contact.id)
        if window.contacts is None and window.since is not None:
            contacts_q = contacts_q.where(Contact.id <= top_contact,
                                          Contact.first_seen >= window.since)
        else:
            contacts_q = contacts_q.where(_in_window(Contact.id, window.contacts, top_contact))
        contacts = session.scalars(contacts_q).all()
        links: dict[int, list[int]] = {}
        if contacts:
            for cid, lid in session.execute(
                    select(ListingContact.contact_id, ListingContact.listing_id)
                    .where(ListingContact.contact_id.in_([c.id for c in contacts]))
                    .order_by(ListingContact.listing_id)):
                links.setdefault(cid, []).append(lid)
    marks = {"events": _mark(window.events, window.since, [r[0] for r in rows], top_event),
             "contacts": _mark(window.contacts, window.since, [c.id for c in contacts],
                               top_contact)}
    by_score = sorted(by_kind["new"].values(), key=lambda d: (-(d.score or 0), d.id))
    return NightDiff(
        since=window.since, new=by_score,
        changed=sorted(by_kind["changed"].values(), key=lambda d: (-(d.score or 0), d.id)),
        removed=list(by_kind["removed"].values()),
        reappeared=list(by_kind["reappeared"].values()),
        contacts=[ContactItem(c.key, c.kind, c.value, links.get(c.id, [])) for c in contacts],
        marks=marks,
    )

"""What changed since the previous nightly: listings new, changed, removed or back, and the
contacts (intermediaries) seen for the first time.

The window is time-based (every crawl run started since the previous nightly finished), so
listings stored by a crawl that was killed and then resumed are reported once, not lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
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


@dataclass
class NightDiff:
    since: datetime | None
    new: list[DiffItem]
    changed: list[DiffItem]
    removed: list[DiffItem]
    reappeared: list[DiffItem]
    contacts: list[ContactItem]

    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "changed": len(self.changed),
                "removed": len(self.removed), "reappeared": len(self.reappeared),
                "new_contacts": len(self.contacts)}


def previous_nightly_end(engine: Engine, current_id: int) -> datetime | None:
    """When the last nightly that wrote a digest finished; a crashed one reported nothing."""
    with Session(engine) as session:
        return as_utc(session.scalar(
            select(NightlyRun.finished_at).where(NightlyRun.id < current_id,
                                                 NightlyRun.status == "finished")
            .order_by(NightlyRun.id.desc()).limit(1)))


def night_diff(engine: Engine, since: datetime | None) -> NightDiff:
    with Session(engine) as session:
        runs = select(CrawlRun.id)
        if since is not None:
            runs = runs.where(CrawlRun.started_at >= since)
        rows = session.execute(
            select(ListingEvent.kind, Listing, Source.name)
            .join(Listing, Listing.id == ListingEvent.listing_id)
            .join(Source, Source.id == Listing.source_id)
            .where(ListingEvent.run_id.in_(runs))
            .order_by(ListingEvent.id)).all()
        by_kind: dict[str, dict[int, DiffItem]] = {k: {} for k in
                                                   ("new", "changed", "removed", "reappeared")}
        for kind, listing, source in rows:
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
        if since is not None:
            contacts_q = contacts_q.where(Contact.first_seen >= since)
        contacts = session.scalars(contacts_q).all()
        links: dict[int, list[int]] = {}
        if contacts:
            for cid, lid in session.execute(
                    select(ListingContact.contact_id, ListingContact.listing_id)
                    .where(ListingContact.contact_id.in_([c.id for c in contacts]))
                    .order_by(ListingContact.listing_id)):
                links.setdefault(cid, []).append(lid)
    by_score = sorted(by_kind["new"].values(), key=lambda d: (-(d.score or 0), d.id))
    return NightDiff(
        since=since, new=by_score,
        changed=sorted(by_kind["changed"].values(), key=lambda d: (-(d.score or 0), d.id)),
        removed=list(by_kind["removed"].values()),
        reappeared=list(by_kind["reappeared"].values()),
        contacts=[ContactItem(c.key, c.kind, c.value, links.get(c.id, [])) for c in contacts],
    )

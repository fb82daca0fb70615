"""Gather what the store knows about each evidence target: the listing, its pages as fetched,
its WARC records, its history, the classifier's verdict, contacts and analysts' decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reports.evidence.errors import UnknownEvidenceID
from reports.evidence.ids import Target
from reports.evidence.timefmt import utc_z
from reports.evidence.warc_source import WarcMember, warc_members_for_pages
from store.bodies import BodyStore
from store.clock import as_utc
from store.models import (
    Contact,
    CrawlRun,
    FetchedPage,
    Listing,
    ListingContact,
    ListingEvent,
    Review,
    Source,
)
from store.review_models import AuditEntry, ReviewCase

CLASS_LABELS = ("guazheng", "fake_cert", "exam_fraud", "benign")


@dataclass
class PageRecord:
    """One stored HTTP exchange that shows the item."""

    id: int
    url: str
    final_url: str | None
    status: int | None
    fetched_at: datetime
    content_hash: str | None
    size: int | None
    kind: str
    encoding: str | None
    headers: dict[str, Any]
    run_id: int


@dataclass
class RunRecord:
    id: int
    batch: str
    source: str
    night: int | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    hostname: str | None
    pid: int | None
    stats: dict[str, Any]


@dataclass
class Item:
    target: Target
    url: str
    title: str
    text: str
    fields: dict[str, Any]
    source: str
    source_title: str
    platform: str
    findings: dict[str, Any]
    pages: list[PageRecord] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    warc: list[WarcMember] = field(default_factory=list)
    screenshots: list[tuple[str, bytes, datetime]] = field(default_factory=list)
    doms: list[tuple[str, bytes, datetime]] = field(default_factory=list)
    warcinfo: list[dict[str, str]] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)
    browser: list[dict[str, Any]] = field(default_factory=list)  # settings per browser page
    sent_headers: list[dict[str, str]] = field(default_factory=list)  # per page request
    packet_files: dict[str, Any] = field(default_factory=dict)  # set by the packet builder

    @property
    def label(self) -> str | None:
        """The analysts' decision wins over the classifier's."""
        case = self.findings.get("review_case") or {}
        if case.get("status") in ("confirmed", "closed"):
            return case.get("category") or "benign"
        if case.get("status") == "dismissed":
            return "benign"
        for review in reversed(self.findings.get("reviews") or []):
            if review["label"] in CLASS_LABELS:
                return review["label"]
        return self.findings.get("classifier", {}).get("label")

    @property
    def captured_from(self) -> datetime:
        return min((p.fetched_at for p in self.pages), default=None) or _first_seen(self)

    @property
    def captured_to(self) -> datetime:
        return max((p.fetched_at for p in self.pages), default=None) or _first_seen(self)


def _first_seen(item: Item) -> datetime:
    return datetime.fromisoformat(item.findings["first_seen"].replace("Z", "+00:00"))


def ensure_known(engine: Engine, targets: list[Target]) -> None:
    """UnknownEvidenceID for the first target the store has nothing on (cheap queries)."""
    with Session(engine) as session:
        for target in targets:
            if target.kind == "listing" and session.get(Listing, int(target.value)) is None:
                raise UnknownEvidenceID(f"{target.id}: no such listing in the store "
                                        "(see `certwatch listings`)")
    for target in targets:
        if target.kind == "site":
            from reports.evidence import site_source  # imports this module

            site_source.ensure_captured(engine, target)


def collect(engine: Engine, home: Path, targets: list[Target]) -> list[Item]:
    """Every target's evidence; UnknownEvidenceID names the first that is not in the store."""
    items = []
    with Session(engine) as session:
        for target in targets:
            if target.kind == "listing":
                items.append(_listing(session, engine, home, target))
            else:
                items.append(_site(engine, home, target))
    return items


def _site(engine: Engine, home: Path, target: Target) -> Item:
    from reports.evidence import site_source  # imports this module

    return site_source.site_item(engine, home, target)


def _listing(session: Session, engine: Engine, home: Path, target: Target) -> Item:
    listing = session.get(Listing, int(target.value))
    if listing is None:
        raise UnknownEvidenceID(f"{target.id}: no such listing in the store "
                                "(see `certwatch listings`)")
    source = session.get(Source, listing.source_id)
    hashes = {v.page_hash for v in listing.versions if v.page_hash} | (
        {listing.page_hash} if listing.page_hash else set())
    urls = {listing.url}
    pages = [_page(p) for p in session.scalars(
        select(FetchedPage).where(FetchedPage.content_hash.in_(hashes))
        .order_by(FetchedPage.fetched_at, FetchedPage.id))]
    # The same bytes can be served at other URLs (a list page that repeats a detail); keep
    # the exchanges that really were this listing's page when there are any.
    own = [p for p in pages if p.url in urls or p.final_url in urls]
    pages = _first_per_hash(own or pages)
    run_ids = sorted({p.run_id for p in pages} | {listing.first_run_id, listing.last_run_id})
    runs = [_run(session, rid) for rid in run_ids]
    findings = _findings(session, listing, source)
    item = Item(target=target, url=listing.url, title=listing.title, text=listing.text,
                fields=dict(listing.fields or {}), source=source.name,
                source_title=source.title, platform=source.platform, findings=findings,
                pages=pages, runs=runs)
    crawl = warc_members_for_pages(engine, BodyStore(home / "bodies"), home,
                                   int(target.value), pages)
    item.warc, item.screenshots, item.doms = crawl.members, crawl.screenshots, crawl.doms
    item.warcinfo, item.certificates = crawl.warcinfo, crawl.certificates
    item.browser, item.sent_headers = crawl.browser, crawl.sent_headers
    return item


def _first_per_hash(pages: list[PageRecord]) -> list[PageRecord]:
    seen: set[str | None] = set()
    out = []
    for page in pages:
        if page.content_hash not in seen:
            seen.add(page.content_hash)
            out.append(page)
    return out


def _page(p: FetchedPage) -> PageRecord:
    return PageRecord(id=p.id, url=p.url, final_url=p.final_url, status=p.status,
                      fetched_at=as_utc(p.fetched_at), content_hash=p.content_hash,
                      size=p.size, kind=p.kind, encoding=p.encoding,
                      headers=dict(p.headers or {}), run_id=p.run_id)


def _run(session: Session, run_id: int) -> RunRecord:
    run = session.get(CrawlRun, run_id)
    return RunRecord(id=run.id, batch=run.batch, source=run.source.name, night=run.night,
                     started_at=as_utc(run.started_at),
                     finished_at=as_utc(run.finished_at) if run.finished_at else None,
                     status=run.status, hostname=run.hostname, pid=run.pid,
                     stats=dict(run.stats or {}))


def _findings(session: Session, listing: Listing, source: Source) -> dict[str, Any]:
    contacts = []
    for contact in session.scalars(
            select(Contact).join(ListingContact, ListingContact.contact_id == Contact.id)
            .where(ListingContact.listing_id == listing.id).order_by(Contact.key)):
        linked = session.execute(
            select(Listing.id, Source.name, Listing.url, Listing.title, Listing.label,
                   Listing.score, Listing.removed)
            .join(ListingContact, ListingContact.listing_id == Listing.id)
            .join(Source, Source.id == Listing.source_id)
            .where(ListingContact.contact_id == contact.id, Listing.id != listing.id)
            .order_by(Listing.id)).all()
        contacts.append({
            "key": contact.key, "kind": contact.kind, "value": contact.value,
            "linked_listings": [{"id": lid, "source": src, "url": url, "title": title,
                                 "label": label, "score": score, "removed": removed}
                                for lid, src, url, title, label, score, removed in linked]})
    reviews = [{"label": r.label, "analyst": r.analyst, "note": r.note,
                "decided_at": utc_z(r.decided_at)}
               for r in session.scalars(select(Review).where(Review.listing_id == listing.id)
                                        .order_by(Review.decided_at, Review.id))]
    review_case, audit = _review_ui(session, "listing", listing.id)
    events = [{"kind": e.kind, "at": utc_z(e.at), "run_id": e.run_id}
              for e in session.scalars(select(ListingEvent)
                                       .where(ListingEvent.listing_id == listing.id)
                                       .order_by(ListingEvent.at, ListingEvent.id))]
    versions = [{"version": v.version, "seen_at": utc_z(v.seen_at), "run_id": v.run_id,
                 "title": v.title, "text": v.text, "fields": v.fields, "posted": v.posted,
                 "content_hash": v.content_hash, "page_hash": v.page_hash}
                for v in listing.versions]
    return {
        "id": f"listing:{listing.id}", "source": source.name, "source_title": source.title,
        "platform": source.platform, "key": listing.key, "url": listing.url,
        "title": listing.title, "text": listing.text,
        # not "fields": frictionless (inside `wacz validate`) reads that as a table schema
        "listing_fields": listing.fields,
        "posted": listing.posted, "first_seen": utc_z(listing.first_seen),
        "last_seen": utc_z(listing.last_seen), "removed": listing.removed,
        "removed_at": utc_z(listing.removed_at) if listing.removed_at else None,
        "classifier": {"label": listing.label, "score": listing.score,
                       "scores": listing.scores, "reasons": listing.reasons,
                       "model_version": listing.model_version},
        "attributes": listing.attributes, "contacts": contacts, "reviews": reviews,
        "review_case": review_case, "review_audit": audit,
        "versions": versions, "events": events,
    }


def _review_ui(session: Session, kind: str, item_id: int) -> tuple[dict[str, Any] | None,
                                                                  list[dict[str, Any]]]:
    """The review UI's current case state and its audit trail for one item."""
    case = session.scalar(select(ReviewCase).where(ReviewCase.kind == kind,
                                                   ReviewCase.item_id == item_id))
    state = None if case is None else {
        "status": case.status, "category": case.category, "note": case.note,
        "updated_by": case.updated_by, "updated_at": utc_z(case.updated_at)}
    audit = [{"at": utc_z(a.at), "actor": a.actor, "action": a.action, "before": a.before,
              "after": a.after, "hash": a.hash}
             for a in session.scalars(select(AuditEntry).where(
                 AuditEntry.object_kind == kind, AuditEntry.object_id == str(item_id))
                 .order_by(AuditEntry.id))]
    return state, audit

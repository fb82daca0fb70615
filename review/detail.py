"""Everything the detail page of one listing shows, gathered in one place."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review.decisions import decision_history
from store.models import (
    Contact,
    CrawlRun,
    FetchedPage,
    Listing,
    ListingContact,
    ListingEvent,
    ListingVersion,
    Source,
)
from store.review_models import ReviewCase

LINKED_PER_CONTACT = 20


@dataclass
class Segment:
    text: str
    mark: bool = False
    weight: float = 0.0


@dataclass
class VersionChange:
    version: int
    seen_at: Any
    night: int | None
    changes: list[dict] = field(default_factory=list)


def highlight(text: str, reasons: list[dict] | None, field_name: str) -> list[Segment]:
    """Split `text` into plain and reason segments (overlapping reasons merged)."""
    spans = sorted((int(r["start"]), int(r["end"]), float(r.get("weight") or 0))
                   for r in reasons or ()
                   if r.get("field", "text") == field_name
                   and 0 <= int(r.get("start", -1)) < int(r.get("end", -1)) <= len(text))
    merged: list[list] = []
    for start, end, weight in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = max(merged[-1][2], weight)
        else:
            merged.append([start, end, weight])
    out, pos = [], 0
    for start, end, weight in merged:
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], True, weight))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def inline_diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, text)] with op in equal / delete / insert, character by character."""
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new,
                                                       autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("equal", old[i1:i2]))
        else:
            if i2 > i1:
                ops.append(("delete", old[i1:i2]))
            if j2 > j1:
                ops.append(("insert", new[j1:j2]))
    return ops


def version_history(session: Session, listing_id: int) -> list[VersionChange]:
    rows = session.execute(
        select(ListingVersion, CrawlRun.night).join(CrawlRun, CrawlRun.id == ListingVersion.run_id)
        .where(ListingVersion.listing_id == listing_id).order_by(ListingVersion.version)).all()
    history, prev = [], None
    for version, night in rows:
        change = VersionChange(version=version.version, seen_at=version.seen_at, night=night)
        if prev is not None:
            for name in ("title", "text", "posted"):
                before, after = getattr(prev, name) or "", getattr(version, name) or ""
                if before != after:
                    change.changes.append({"field": name, "diff": inline_diff(before, after)})
            for name in sorted(set(prev.fields) | set(version.fields)):
                before, after = prev.fields.get(name), version.fields.get(name)
                if before != after:
                    change.changes.append({"field": name, "diff": inline_diff(
                        "" if before is None else str(before),
                        "" if after is None else str(after))})
        history.append(change)
        prev = version
    return history[::-1]


def linked_by_contact(session: Session, listing_id: int) -> list[dict]:
    contacts = session.scalars(
        select(Contact).join(ListingContact, ListingContact.contact_id == Contact.id)
        .where(ListingContact.listing_id == listing_id).order_by(Contact.key)).all()
    out = []
    for contact in contacts:
        others = session.execute(
            select(Listing.id, Listing.title, Listing.label, Listing.score, Listing.removed,
                   Source.name.label("source"))
            .join(ListingContact, ListingContact.listing_id == Listing.id)
            .join(Source, Source.id == Listing.source_id)
            .where(ListingContact.contact_id == contact.id, Listing.id != listing_id)
            .order_by(Listing.score.desc().nulls_last(), Listing.id)
            .limit(LINKED_PER_CONTACT)).all()
        total = session.scalar(select(func.count()).select_from(ListingContact)
                               .where(ListingContact.contact_id == contact.id)) - 1
        out.append({"contact": contact, "listings": others, "total": total})
    return out


def listing_detail(session: Session, listing_id: int) -> dict | None:
    row = session.execute(select(Listing, Source).join(Source, Source.id == Listing.source_id)
                          .where(Listing.id == listing_id)).first()
    if row is None:
        return None
    listing, source = row
    case = session.scalar(select(ReviewCase).where(ReviewCase.kind == "listing",
                                                   ReviewCase.item_id == listing_id))
    decisions = decision_history(session, "listing", listing_id)
    events = session.execute(
        select(ListingEvent.kind, ListingEvent.at, CrawlRun.night)
        .join(CrawlRun, CrawlRun.id == ListingEvent.run_id)
        .where(ListingEvent.listing_id == listing_id).order_by(ListingEvent.id)).all()
    page = None
    if listing.page_hash:
        page = session.scalar(select(FetchedPage).where(FetchedPage.content_hash
                                                        == listing.page_hash)
                              .order_by(FetchedPage.id.desc()).limit(1))
    return {
        "listing": listing, "source": source, "case": case, "decisions": decisions,
        "status": case.status if case else "pending",
        "title_segments": highlight(listing.title or "", listing.reasons, "title"),
        "text_segments": highlight(listing.text or "", listing.reasons, "text"),
        "history": version_history(session, listing_id), "events": events,
        "linked": linked_by_contact(session, listing_id), "page": page,
    }

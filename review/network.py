"""One intermediary's contact: all its ads across sources and nights, and its neighbours."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from store.models import Contact, CrawlRun, Listing, ListingContact, ListingEvent, Source

MAX_LISTINGS = 500
MAX_NEIGHBOURS = 50


def contact_network(session: Session, contact_id: int) -> dict | None:
    contact = session.get(Contact, contact_id)
    if contact is None:
        return None
    listings = session.execute(
        select(Listing.id, Listing.title, Listing.label, Listing.score, Listing.removed,
               Listing.first_seen, Listing.last_seen, Listing.attributes,
               Source.name.label("source"))
        .join(ListingContact, ListingContact.listing_id == Listing.id)
        .join(Source, Source.id == Listing.source_id)
        .where(ListingContact.contact_id == contact_id)
        .order_by(Listing.score.desc().nulls_last(), Listing.id).limit(MAX_LISTINGS)).all()
    ids = [r.id for r in listings]
    nights: dict[int, list[tuple[int | None, str]]] = defaultdict(list)
    if ids:
        for listing_id, night, kind in session.execute(
                select(ListingEvent.listing_id, CrawlRun.night, ListingEvent.kind)
                .join(CrawlRun, CrawlRun.id == ListingEvent.run_id)
                .where(ListingEvent.listing_id.in_(ids)).order_by(ListingEvent.id)):
            nights[listing_id].append((night, kind))
    other = aliased(ListingContact)
    neighbours = session.execute(
        select(Contact, func.count(func.distinct(other.listing_id)).label("shared"))
        .join(other, other.contact_id == Contact.id)
        .join(ListingContact, ListingContact.listing_id == other.listing_id)
        .where(ListingContact.contact_id == contact_id, Contact.id != contact_id)
        .group_by(Contact.id).order_by(func.count(func.distinct(other.listing_id)).desc(),
                                       Contact.key)
        .limit(MAX_NEIGHBOURS)).all()
    total = session.scalar(select(func.count()).select_from(ListingContact)
                           .where(ListingContact.contact_id == contact_id))
    by_source: dict[str, int] = defaultdict(int)
    for row in listings:
        by_source[row.source] += 1
    return {"contact": contact, "listings": listings, "nights": nights,
            "neighbours": neighbours, "total": total, "by_source": dict(by_source)}

"""Keep `review_facets` (region, certificate family) in step with the listings' verdicts."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from store.models import Listing
from store.review_models import ReviewFacet

log = logging.getLogger(__name__)
SIG = "_sig"
# Bumped whenever facets_of() derives something new, so every listing is synced again.
FACETS_VERSION = "2"
BATCH = 2000
ANALYZE_AFTER = 5000
# Provincial-level cities: their districts are the next level, so at the 市（州） level of
# the notices the municipality itself is the unit.
MUNICIPALITIES = frozenset({"北京", "天津", "上海", "重庆"})


def province(region: str | None) -> str | None:
    """"安徽·合肥" → "安徽": the province-level filter and 汇总表."""
    return region.split("·", 1)[0].strip() or None if region else None


def city(region: str | None) -> str | None:
    """"安徽·合肥" → "安徽·合肥", "北京" → "北京", "安徽" → None (no city named): the
    市（州）/盟市 level the notices report by. The province stays in the value because a
    city name alone is not unique across provinces."""
    head = province(region)
    if head is None:
        return None
    tail = region.split("·", 1)[1].strip() if region and "·" in region else ""
    if tail:
        return f"{head}·{tail}"
    return head if head in MUNICIPALITIES else None


def facets_of(attributes: dict[str, Any] | None) -> list[tuple[str, str]]:
    attributes = attributes or {}
    out: list[tuple[str, str]] = []
    raw = attributes.get("region")
    raw = raw if isinstance(raw, str) else None
    region, town = province(raw), city(raw)
    if region:
        out.append(("region", region[:120]))
    if town:
        out.append(("city", town[:120]))
    families = {c.get("family") for c in attributes.get("certificates") or ()
                if isinstance(c, dict) and c.get("family")}
    out += [("cert", str(f)[:120]) for f in sorted(families)]
    return out


def _signature():  # noqa: ANN202 - SQL expression
    return (literal(FACETS_VERSION + ":") + Listing.content_hash + ":"
            + func.coalesce(Listing.model_version, ""))


def sync_listing_facets(engine: Engine) -> int:
    """Refresh the facets of listings whose verdict changed since the last sync.

    The comparison runs in Python over two id → signature maps: one pass over each table
    is faster on every backend than an anti-join SQLite may plan badly.
    """
    with Session(engine) as session:
        current = dict(session.execute(select(Listing.id, _signature())
                                       .where(Listing.label.is_not(None))).all())
        synced = dict(session.execute(select(ReviewFacet.item_id, ReviewFacet.value).where(
            ReviewFacet.kind == "listing", ReviewFacet.facet == SIG)).all())
    stale = sorted(i for i, sig in current.items() if synced.get(i) != sig[:120])
    for start in range(0, len(stale), BATCH):
        ids = stale[start: start + BATCH]
        with Session(engine) as session, session.begin():
            rows = session.execute(select(Listing.id, Listing.attributes)
                                   .where(Listing.id.in_(ids))).all()
            session.execute(delete(ReviewFacet).where(ReviewFacet.kind == "listing",
                                                      ReviewFacet.item_id.in_(ids)))
            values = []
            for listing_id, attributes in rows:
                values.append({"kind": "listing", "item_id": listing_id, "facet": SIG,
                               "value": current[listing_id][:120]})
                values += [{"kind": "listing", "item_id": listing_id, "facet": f, "value": v}
                           for f, v in facets_of(attributes)]
            session.execute(insert(ReviewFacet), values)
        log.debug("facets synced for %d listings", start + len(ids))
    if len(stale) >= ANALYZE_AFTER:
        # A big first build changes the table's shape: fresh statistics let the planner
        # drive facet filters from the index instead of guessing.
        with engine.begin() as conn:
            conn.execute(text("ANALYZE review_facets"))
    return len(stale)


def facet_values(engine: Engine, facet: str) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(ReviewFacet.value).where(ReviewFacet.facet == facet)
                                    .distinct().order_by(ReviewFacet.value)))

"""Keep `review_facets` (region, certificate family) in step with the listings' verdicts."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from store.models import Listing
from store.review_models import ReviewFacet

log = logging.getLogger(__name__)
SIG = "_sig"
BATCH = 2000


def province(region: str | None) -> str | None:
    """"安徽·合肥" → "安徽": the 汇总表 and the filter work per province."""
    return region.split("·", 1)[0].strip() or None if region else None


def facets_of(attributes: dict[str, Any] | None) -> list[tuple[str, str]]:
    attributes = attributes or {}
    out: list[tuple[str, str]] = []
    region = province(attributes.get("region"))
    if region:
        out.append(("region", region[:120]))
    families = {c.get("family") for c in attributes.get("certificates") or ()
                if isinstance(c, dict) and c.get("family")}
    out += [("cert", str(f)[:120]) for f in sorted(families)]
    return out


def _signature():  # noqa: ANN202 - SQL expression
    return Listing.content_hash + ":" + func.coalesce(Listing.model_version, "")


def sync_listing_facets(engine: Engine) -> int:
    """Refresh the facets of listings whose verdict changed since the last sync."""
    sig = ReviewFacet.__table__.alias("sig")
    stale = (select(Listing.id, Listing.attributes, _signature().label("sig"))
             .outerjoin(sig, and_(sig.c.kind == "listing", sig.c.item_id == Listing.id,
                                  sig.c.facet == SIG))
             .where(Listing.label.is_not(None),
                    (sig.c.value.is_(None)) | (sig.c.value != _signature()))
             .order_by(Listing.id))
    done = 0
    while True:
        with Session(engine) as session, session.begin():
            rows = session.execute(stale.limit(BATCH)).all()
            if not rows:
                return done
            ids = [r.id for r in rows]
            session.execute(delete(ReviewFacet).where(ReviewFacet.kind == "listing",
                                                      ReviewFacet.item_id.in_(ids)))
            values = []
            for row in rows:
                values.append({"kind": "listing", "item_id": row.id, "facet": SIG,
                               "value": row.sig[:120]})
                values += [{"kind": "listing", "item_id": row.id, "facet": f, "value": v}
                           for f, v in facets_of(row.attributes)]
            session.execute(insert(ReviewFacet), values)
        done += len(rows)
        log.debug("facets synced for %d listings", done)


def facet_values(engine: Engine, facet: str) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(ReviewFacet.value).where(ReviewFacet.facet == facet)
                                    .distinct().order_by(ReviewFacet.value)))

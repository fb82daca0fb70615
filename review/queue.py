"""The review queue: flagged items by risk, with filters, search, counts and pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from review.app_time import day_end, day_start
from store.models import Listing, Source
from store.review_models import STATUSES, ReviewCase, ReviewFacet

PAGE_SIZE = 50
# "flagged": anything the classifier did not call benign.
FLAGGED = ("guazheng", "fake_cert", "exam_fraud")
LABEL_CHOICES = ("flagged", "guazheng", "fake_cert", "exam_fraud", "benign", "all")


@dataclass(frozen=True)
class QueueFilter:
    label: str = "flagged"
    status: str | None = None
    source: str | None = None
    region: str | None = None
    city: str | None = None  # "安徽·合肥": the 市（州） level of review.facets.city
    cert: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    min_score: float | None = None
    q: str | None = None
    page: int = 1


@dataclass
class QueuePage:
    items: list[dict]
    counts: dict[str, int]
    total: int
    page: int
    pages: int
    filters: QueueFilter = field(default_factory=QueueFilter)


def _status_expr():  # noqa: ANN202 - SQL expression
    return func.coalesce(ReviewCase.status, literal_column("'pending'"))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _facet(name: str, value: str):  # noqa: ANN202 - SQL expression
    # IN (subquery) lets the database start from the few facet rows, not every listing.
    return Listing.id.in_(select(ReviewFacet.item_id).where(
        ReviewFacet.facet == name, ReviewFacet.value == value, ReviewFacet.kind == "listing"))


def _status_clause(status: str):  # noqa: ANN202 - SQL expression
    """Status as (anti-)semi-joins on the case table: planners estimate these well, unlike
    coalesce(status) over an outer join, and can keep walking the score index."""
    case = aliased(ReviewCase)
    if status == "pending":
        return ~exists().where(case.kind == "listing", case.item_id == Listing.id,
                               case.status != "pending")
    return Listing.id.in_(select(case.item_id).where(case.kind == "listing",
                                                     case.status == status))


def _conditions(flt: QueueFilter) -> list:
    """WHERE clauses on listings alone, so counts need no join."""
    where: list = []
    if flt.label == "flagged":
        where.append(Listing.label.in_(FLAGGED))
    elif flt.label != "all":
        where.append(Listing.label == flt.label)
    if flt.source:
        where.append(Listing.source_id.in_(select(Source.id).where(Source.name == flt.source)))
    if flt.region:
        where.append(_facet("region", flt.region))
    if flt.city:
        where.append(_facet("city", flt.city))
    if flt.cert:
        where.append(_facet("cert", flt.cert))
    if flt.date_from:
        where.append(Listing.first_seen >= day_start(flt.date_from))
    if flt.date_to:
        where.append(Listing.first_seen < day_end(flt.date_to))
    if flt.min_score is not None:
        where.append(Listing.score >= flt.min_score)
    if flt.q:
        # Substring search works for Chinese without a tokenizer; each word must appear.
        for word in flt.q.split()[:5]:
            like = f"%{_escape_like(word)}%"
            where.append(or_(Listing.title.like(like, escape="\\"),
                             Listing.text.like(like, escape="\\")))
    return where


def status_counts(session: Session, flt: QueueFilter) -> dict[str, int]:
    """Counts per status of the listings matching `flt` (ignoring its status)."""
    where = _conditions(flt)
    if flt.q or flt.region or flt.city or flt.cert:
        # Selective filters: one pass over the few matching listings, grouped by status
        # (a search's LIKE scan is the expensive part; do it once).
        status = _status_expr()
        found = dict(session.execute(
            select(status, func.count()).select_from(Listing)
            .outerjoin(ReviewCase, and_(ReviewCase.kind == "listing",
                                        ReviewCase.item_id == Listing.id))
            .where(*where).group_by(status)).all())
        return {s: int(found.get(s, 0)) for s in STATUSES}
    # Broad filters: one index-only count of all matching listings, minus the decided
    # ones (cases are few next to listings), is far cheaper than grouping every listing.
    total = session.scalar(select(func.count()).select_from(Listing).where(*where))
    decided = dict(session.execute(
        select(ReviewCase.status, func.count())
        .where(ReviewCase.kind == "listing",
               ReviewCase.item_id.in_(select(Listing.id).where(*where)))
        .group_by(ReviewCase.status)).all())
    counts = {s: int(decided.get(s, 0)) for s in STATUSES if s != "pending"}
    counts = {"pending": int(total) - sum(counts.values()), **counts}
    return {s: counts[s] for s in STATUSES}


def load_queue(session: Session, flt: QueueFilter) -> QueuePage:
    counts = status_counts(session, flt)
    total = counts.get(flt.status, 0) if flt.status else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(flt.page, 1), pages)
    stmt = (select(Listing.id, Listing.title, Listing.label, Listing.score,
                   Listing.first_seen, Listing.removed, Listing.attributes,
                   Source.name.label("source"), _status_expr().label("status"),
                   ReviewCase.category)
            .join(Source, Source.id == Listing.source_id)
            .outerjoin(ReviewCase, and_(ReviewCase.kind == "listing",
                                        ReviewCase.item_id == Listing.id))
            .where(*_conditions(flt)))
    if flt.status:
        stmt = stmt.where(_status_clause(flt.status))
    stmt = (stmt.order_by(Listing.score.desc(), Listing.id)
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    items = [{"kind": "listing", "id": r.id, "title": r.title, "label": r.label,
              "score": r.score, "first_seen": r.first_seen, "removed": r.removed,
              "region": (r.attributes or {}).get("region"), "source": r.source,
              "status": r.status, "category": r.category}
             for r in session.execute(stmt)]
    return QueuePage(items=items, counts=counts, total=total, page=page, pages=pages,
                     filters=flt)

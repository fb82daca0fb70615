"""The review queue: flagged items by risk, with filters, search, counts and pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, column, exists, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session, aliased

from review.app_time import day_end, day_start
from review.score_filter import shown_floor
from store.models import Listing, Source
from store.review_models import STATUSES, ReviewCase, ReviewFacet

PAGE_SIZE = 50
MAX_WORDS = 5
MIN_TRIGRAM = 3  # the trigram index cannot look up shorter words
DRIVE_LIMIT = 5000  # index matches up to which a search starts from them
# The external-content FTS5 table over listings (title, text) of migration 0007, SQLite only.
LISTINGS_FTS = table("listings_fts", column("rowid"), column("listings_fts"))
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


@dataclass(frozen=True)
class SearchPlan:
    """How one request searches. `index`: the SQLite trigram table is there (migration
    0007). `drive`: its matches are few, so the query starts from them."""

    index: bool = False
    drive: bool = False


NO_INDEX = SearchPlan()


def _words(q: str | None) -> list[str]:
    return q.split()[:MAX_WORDS] if q else []


def _has_index(session: Session) -> bool:
    # PostgreSQL's trigram indexes need nothing from the query: the planner uses them for LIKE.
    if session.get_bind().dialect.name != "sqlite":
        return False
    return session.scalar(text("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                               "AND name = 'listings_fts'")) is not None


def _match(words: list[str]):  # noqa: ANN202 - SQL expression
    """Rows of the trigram table holding every word (3+ characters) as a phrase."""
    phrases = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    return select(LISTINGS_FTS.c.rowid).where(LISTINGS_FTS.c.listings_fts.op("MATCH")(phrases))


def search_plan(session: Session, q: str | None) -> SearchPlan:
    if not q or not _has_index(session):
        return SearchPlan()
    long = [w for w in _words(q) if len(w) >= MIN_TRIGRAM]
    if not long:
        return SearchPlan(index=True)
    # Counting the index's matches (up to the limit) costs a few ms even for common words.
    found = session.scalar(select(func.count()).select_from(
        _match(long).limit(DRIVE_LIMIT + 1).subquery()))
    return SearchPlan(index=True, drive=found <= DRIVE_LIMIT)


def _caseless(word: str) -> bool:
    """No character with case (Chinese, digits, punctuation): the index's case folding
    cannot make it match anything LIKE would not, and LIKE is plain substring search."""
    return all(c.lower() == c == c.upper() for c in word)


def _search(words: list[str], plan: SearchPlan) -> list:
    """Every word must appear in the title or the text, as a substring: LIKE's results."""
    where: list = []
    long = [w for w in words if len(w) >= MIN_TRIGRAM]
    if plan.index and long:
        # Few matches: start from them. Many: keep walking the score index and test each
        # row against them (`+ 0` stops SQLite from driving by a long list it must then
        # sort by score).
        key = Listing.id if plan.drive else Listing.id + 0
        where.append(key.in_(_match(long)))
    for word in words:
        if plan.index and _caseless(word):
            if len(word) >= MIN_TRIGRAM:
                continue  # the index's match is already exact
            # Shorter words have no trigram: a scan of what the other terms leave, with
            # instr(), cheaper than LIKE's pattern matcher and the same for such a word.
            where.append(or_(func.instr(Listing.title, word) > 0,
                             func.instr(Listing.text, word) > 0))
            continue
        # Cased words keep LIKE (ASCII case-insensitive on SQLite): through the index it
        # only re-checks the candidates, as the index also folds non-ASCII case.
        like = f"%{_escape_like(word)}%"
        where.append(or_(Listing.title.like(like, escape="\\"),
                         Listing.text.like(like, escape="\\")))
    return where


def _conditions(flt: QueueFilter, plan: SearchPlan = NO_INDEX) -> list:
    """WHERE clauses on listings alone, so counts need no join; `plan` from `search_plan`."""
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
        where.append(Listing.score >= shown_floor(flt.min_score))
    if flt.q:
        # Substring search works for Chinese without a tokenizer; each word must appear.
        where += _search(_words(flt.q), plan)
    return where


def status_counts(session: Session, flt: QueueFilter,
                  plan: SearchPlan | None = None) -> dict[str, int]:
    """Counts per status of the listings matching `flt` (ignoring its status)."""
    plan = search_plan(session, flt.q) if plan is None else plan
    where = _conditions(flt, plan)
    # A search the index cannot narrow (no index, or only 1–2 character words) reads every
    # listing the other filters leave; the case table is then joined only where decided.
    scan = bool(flt.q) and not (plan.index
                                and any(len(w) >= MIN_TRIGRAM for w in _words(flt.q)))
    if (flt.q and not scan) or flt.region or flt.city or flt.cert:
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
    if scan:  # from the few cases to their listings: the search is not run over all again
        decided_stmt = (select(ReviewCase.status, func.count()).select_from(ReviewCase)
                        .join(Listing, Listing.id == ReviewCase.item_id)
                        .where(ReviewCase.kind == "listing", *where))
    else:
        decided_stmt = (select(ReviewCase.status, func.count())
                        .where(ReviewCase.kind == "listing",
                               ReviewCase.item_id.in_(select(Listing.id).where(*where))))
    decided = dict(session.execute(decided_stmt.group_by(ReviewCase.status)).all())
    counts = {s: int(decided.get(s, 0)) for s in STATUSES if s != "pending"}
    counts = {"pending": int(total) - sum(counts.values()), **counts}
    return {s: counts[s] for s in STATUSES}


def load_queue(session: Session, flt: QueueFilter) -> QueuePage:
    plan = search_plan(session, flt.q)
    counts = status_counts(session, flt, plan)
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
            .where(*_conditions(flt, plan)))
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

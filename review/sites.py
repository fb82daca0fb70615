"""Lookalike government sites in the review queue: latest verdict per candidate domain,
and the detail with the capture's screenshot beside the official site's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import and_, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from review.app_time import day_end, day_start
from review.decisions import decision_history
from review.score_filter import shown_floor
from store.lookalike_models import LookalikeCandidate, LookalikeCapture, LookalikeVerdict
from store.review_models import STATUSES, ReviewCase

PAGE_SIZE = 50
SITE_LABELS = ("lookalike", "all")


@dataclass(frozen=True)
class SiteFilter:
    label: str = "lookalike"
    status: str | None = None
    q: str | None = None
    min_score: float | None = None
    origin: str | None = None  # how the hunt found it: the sites' counterpart of a source
    date_from: date | None = None  # first seen, Beijing dates
    date_to: date | None = None
    page: int = 1


ORIGINS_ZH = {"permutation": "域名变形", "feed": "新注册域名", "listing": "广告中的网址",
              "manual": "人工提交"}


def _latest():  # noqa: ANN202 - subquery
    return (select(LookalikeVerdict.candidate_id, func.max(LookalikeVerdict.id).label("vid"))
            .group_by(LookalikeVerdict.candidate_id).subquery())


def _status_clause(status: str):  # noqa: ANN202 - SQL expression
    case = aliased(ReviewCase)
    if status == "pending":
        return ~exists().where(case.kind == "site", case.item_id == LookalikeCandidate.id,
                               case.status != "pending")
    return LookalikeCandidate.id.in_(select(case.item_id).where(case.kind == "site",
                                                                case.status == status))


def _base(flt: SiteFilter, *columns):  # noqa: ANN001, ANN202
    latest = _latest()
    stmt = (select(*columns).select_from(LookalikeCandidate)
            .join(latest, latest.c.candidate_id == LookalikeCandidate.id)
            .join(LookalikeVerdict, LookalikeVerdict.id == latest.c.vid)
            .outerjoin(ReviewCase, and_(ReviewCase.kind == "site",
                                        ReviewCase.item_id == LookalikeCandidate.id)))
    if flt.label != "all":
        stmt = stmt.where(LookalikeVerdict.label == flt.label)
    if flt.min_score is not None:
        stmt = stmt.where(LookalikeVerdict.score >= shown_floor(flt.min_score))
    if flt.origin:
        stmt = stmt.where(LookalikeCandidate.origin == flt.origin)
    if flt.date_from:
        stmt = stmt.where(LookalikeCandidate.first_seen >= day_start(flt.date_from))
    if flt.date_to:
        stmt = stmt.where(LookalikeCandidate.first_seen < day_end(flt.date_to))
    if flt.q:
        like = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(LookalikeCandidate.domain.like(like, escape="\\"),
                              LookalikeVerdict.imitates.like(like, escape="\\")))
    return stmt


def site_status_counts(session: Session, flt: SiteFilter) -> dict[str, int]:
    """Counts per review status of the sites matching `flt` (ignoring its status)."""
    status = func.coalesce(ReviewCase.status, literal_column("'pending'"))
    found = dict(session.execute(_base(flt, status, func.count()).group_by(status)).all())
    return {s: int(found.get(s, 0)) for s in STATUSES}


def load_sites(session: Session, flt: SiteFilter) -> dict:
    status = func.coalesce(ReviewCase.status, literal_column("'pending'"))
    counts = site_status_counts(session, flt)
    total = counts.get(flt.status, 0) if flt.status else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(flt.page, 1), pages)
    stmt = _base(flt, LookalikeCandidate.id, LookalikeCandidate.domain,
                 LookalikeCandidate.first_seen, LookalikeCandidate.origin,
                 LookalikeVerdict.label, LookalikeVerdict.score, LookalikeVerdict.imitates,
                 status.label("status"), ReviewCase.category)
    if flt.status:
        stmt = stmt.where(_status_clause(flt.status))
    rows = session.execute(stmt.order_by(LookalikeVerdict.score.desc(), LookalikeCandidate.id)
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return {"items": rows, "counts": counts, "total": total, "page": page, "pages": pages}


def site_origins(session: Session) -> list[str]:
    return list(session.scalars(select(LookalikeCandidate.origin).distinct()
                                .order_by(LookalikeCandidate.origin)))


def site_detail(session: Session, site_id: int) -> dict | None:
    candidate = session.get(LookalikeCandidate, site_id)
    if candidate is None:
        return None
    verdicts = session.scalars(select(LookalikeVerdict)
                               .where(LookalikeVerdict.candidate_id == site_id)
                               .order_by(LookalikeVerdict.id.desc())).all()
    capture = session.scalar(select(LookalikeCapture)
                             .where(LookalikeCapture.candidate_id == site_id)
                             .order_by(LookalikeCapture.captured_at.desc(),
                                       LookalikeCapture.id.desc()).limit(1))
    case = session.scalar(select(ReviewCase).where(ReviewCase.kind == "site",
                                                   ReviewCase.item_id == site_id))
    verdict = verdicts[0] if verdicts else None
    return {"candidate": candidate, "verdict": verdict, "verdicts": verdicts,
            "decisions": decision_history(session, "site", site_id),
            "capture": capture, "case": case, "status": case.status if case else "pending",
            "imitates": (verdict.imitates if verdict else None) or candidate.name_imitates}


@dataclass(frozen=True)
class OfficialShot:
    path: Path
    sha256: str | None  # from the capture's manifest.json; None: nothing to check it against


def official_screenshot(home: Path | None, host: str | None) -> OfficialShot | None:
    """The official site's landing screenshot from the capture its fingerprint was built
    from (else its newest capture), with the SHA-256 the capture's manifest recorded."""
    if home is None or not host or "/" in host or "\\" in host or host.startswith("."):
        return None
    root = home / "lookalike" / "captures" / host
    directory = _fingerprint_dir(home, host, root)
    if directory is None:
        shots = (sorted(root.glob("*/landing-screenshot.png"))
                 or sorted(root.glob("*/*screenshot.png")))
        if not shots:
            return None
        directory = shots[-1].parent
    files = _manifest(directory)
    names = [n for n in ("landing-screenshot.png", *sorted(files)) if n.endswith("screenshot.png")
             and (directory / n).is_file()]
    if not names:
        return None
    return OfficialShot(directory / names[0], (files.get(names[0]) or {}).get("sha256"))


def _fingerprint_dir(home: Path, host: str, root: Path) -> Path | None:
    from classifiers.lookalike import fingerprint
    from classifiers.lookalike.errors import LookalikeError

    try:
        fp = fingerprint.load(home, host)
    except LookalikeError:
        return None
    if fp is None or not fp.capture_dir:
        return None
    directory = Path(fp.capture_dir)
    directory = directory if directory.is_absolute() else root / directory
    return directory if directory.is_dir() else None


def _manifest(directory: Path) -> dict[str, dict]:
    try:
        files = json.loads((directory / "manifest.json").read_text("utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return {}
    return files if isinstance(files, dict) else {}

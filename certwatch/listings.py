"""Query stored listings for `certwatch listings`."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from store.clock import iso
from store.models import Listing, Source


@dataclass(frozen=True)
class ListingFilter:
    sources: tuple[str, ...] = ()
    search: str | None = None
    removed: bool | None = None
    since: datetime | None = None
    limit: int | None = None
    labels: tuple[str, ...] = ()
    min_score: float | None = None
    by_score: bool = False


def query(engine: Engine, flt: ListingFilter) -> Iterator[dict]:
    order = (Listing.score.desc(), Listing.id) if flt.by_score else (Listing.id,)
    stmt = select(Listing, Source.name).join(Source).order_by(*order)
    if flt.labels:
        stmt = stmt.where(Listing.label.in_(flt.labels))
    if flt.min_score is not None:
        stmt = stmt.where(Listing.score >= flt.min_score)
    if flt.sources:
        stmt = stmt.where(Source.name.in_(flt.sources))
    if flt.search:
        escaped = (flt.search.replace("\\", "\\\\").replace("%", "\\%")
                   .replace("_", "\\_"))
        like = f"%{escaped}%"
        stmt = stmt.where(or_(Listing.title.like(like, escape="\\"),
                              Listing.text.like(like, escape="\\")))
    if flt.removed is not None:
        stmt = stmt.where(Listing.removed == flt.removed)
    if flt.since is not None:
        stmt = stmt.where(Listing.last_seen >= flt.since)
    if flt.limit:
        stmt = stmt.limit(flt.limit)
    with Session(engine) as session:
        for listing, source in session.execute(stmt).yield_per(500):
            yield {
                "id": listing.id, "source": source, "key": listing.key, "url": listing.url,
                "title": listing.title, "text": listing.text, "posted": listing.posted,
                "fields": listing.fields, "first_seen": iso(listing.first_seen),
                "last_seen": iso(listing.last_seen), "removed": listing.removed,
                "removed_at": iso(listing.removed_at), "label": listing.label,
                "score": listing.score, "scores": listing.scores, "reasons": listing.reasons,
                "attributes": listing.attributes, "model_version": listing.model_version,
            }


# Captured text is hostile: a title may carry terminal escapes (ESC, C1 CSI), bidi overrides
# that reorder what the analyst reads, or lone surrogates that would crash the output.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     r"\ud800-\udfff]")


def _escape_unsafe(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def as_jsonl(row: dict) -> str:
    # JSON escapes C0 controls itself; C1 controls, bidi marks and surrogates are escaped
    # here so the line is strict UTF-8 and inert on a terminal, and still the same JSON.
    return _UNSAFE.sub(_escape_unsafe, json.dumps(row, ensure_ascii=False))


def terminal_safe(text: str) -> str:
    """One line of `text` with every control, bidi or format character shown as U+FFFD."""
    text = " ".join(text.splitlines())
    return "".join("\ufffd" if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def as_table_line(row: dict, width: int = 48) -> str:
    title = terminal_safe(row["title"])
    title = title if len(title) <= width else title[: width - 1] + "…"
    state = "removed" if row["removed"] else "live"
    verdict = (f"{row['label']:<10} {row['score']:.2f}" if row["label"]
               else f"{'unscored':<10} {'-':>4}")
    return (f"{row['id']:>6}  {row['source']:<10} {verdict}  {state:<7} "
            f"{row['last_seen'] or '':<20}  {title}")

"""Reading and writing lookalike candidates, captures and verdicts.

`latest_capture(engine, domain)` is what the evidence packet uses: the newest capture of a
domain with the path and SHA-256 of every file kept for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.orm import Session

from store.clock import as_utc, iso
from store.lookalike_models import LookalikeCandidate, LookalikeCapture, LookalikeVerdict


@dataclass(frozen=True)
class CandidateSeen:
    domain: str
    origin: str
    detail: str
    name_label: str
    name_score: float
    name_imitates: str | None
    name_reasons: list[str]
    resolves: bool | None
    addresses: list[str]


def upsert_candidates(
    engine: Engine, seen: Iterable[CandidateSeen], at: datetime
) -> dict[str, int]:
    """Insert new candidates and refresh known ones in one transaction; domain -> id.

    Bulk statements, not ORM objects: a hunt records ten thousand permutations at a time.
    The first origin is kept, except that a name seen in the wild (a feed, a listing)
    replaces "permutation": where a real name came from is what an analyst follows up.
    A resolution of None ("not tried") keeps the stored one.
    """
    rows = {c.domain: c for c in seen}
    ids: dict[str, int] = {}
    with Session(engine) as session, session.begin():
        names = list(rows)
        for start in range(0, len(names), 500):  # keep IN lists small for every backend
            chunk = names[start : start + 500]
            ids.update((domain, row_id) for row_id, domain in session.execute(
                select(LookalikeCandidate.id, LookalikeCandidate.domain)
                .where(LookalikeCandidate.domain.in_(chunk))))

        def values(c: CandidateSeen) -> dict[str, Any]:
            return {"last_seen": at, "name_label": c.name_label, "name_score": c.name_score,
                    "name_imitates": c.name_imitates, "name_reasons": list(c.name_reasons)}

        def resolution(c: CandidateSeen) -> dict[str, Any]:
            return {"resolves": c.resolves, "addresses": list(c.addresses)}

        refreshed = [c for d, c in rows.items() if d in ids]
        fresh = [{**values(c), **resolution(c), "domain": d, "origin": c.origin,
                  "origin_detail": c.detail, "first_seen": at}
                 for d, c in rows.items() if d not in ids]
        if fresh:
            inserted = session.execute(
                insert(LookalikeCandidate).returning(LookalikeCandidate.id,
                                                     LookalikeCandidate.domain), fresh)
            ids.update((domain, row_id) for row_id, domain in inserted)
        for tried in (True, False):
            batch = [{"id": ids[c.domain], **values(c), **(resolution(c) if tried else {})}
                     for c in refreshed if (c.resolves is not None) == tried]
            if batch:
                session.execute(update(LookalikeCandidate), batch)
        wild = [{"cid": ids[c.domain], "new_origin": c.origin, "new_detail": c.detail}
                for c in refreshed if c.origin != "permutation"]
        if wild:
            table = LookalikeCandidate.__table__  # Core executemany: a WHERE beyond the key
            session.connection().execute(
                update(table).where(table.c.id == bindparam("cid"),
                                    table.c.origin == "permutation")
                .values(origin=bindparam("new_origin"), origin_detail=bindparam("new_detail")),
                wild)
    return {domain: ids[domain] for domain in rows}


def add_capture(engine: Engine, candidate_id: int, fields: dict[str, Any]) -> int:
    with Session(engine) as session, session.begin():
        row = LookalikeCapture(candidate_id=candidate_id, **fields)
        session.add(row)
        session.flush()
        return row.id


def add_verdict(engine: Engine, candidate_id: int, capture_id: int | None, at: datetime,
                verdict: dict[str, Any]) -> int:
    with Session(engine) as session, session.begin():
        row = LookalikeVerdict(candidate_id=candidate_id, capture_id=capture_id, decided_at=at,
                               label=verdict["label"], score=verdict["score"],
                               imitates=verdict.get("imitates"), reasons=verdict["reasons"],
                               page_signals=verdict.get("page"))
        session.add(row)
        session.flush()
        return row.id


def latest_capture(engine: Engine, domain: str) -> dict[str, Any] | None:
    """The newest capture of `domain` (ASCII/punycode form) with its files and SHA-256s, or None.

    {"domain", "captured_at", "url", "final_url", "status", "title", "directory",
     "canary_result", "canary_number", "screenshot": {"path", "sha256"}, "dom": {…},
     "manifest": {…}, "exchange": {…} | None, "files": [{"name", "path", "sha256", "size"}]}
    """
    with Session(engine) as session:
        row = session.execute(
            select(LookalikeCapture).join(LookalikeCandidate)
            .where(LookalikeCandidate.domain == domain.lower().rstrip("."))
            .order_by(LookalikeCapture.captured_at.desc(), LookalikeCapture.id.desc()).limit(1)
        ).scalar()
        if row is None:
            return None
        directory = Path(row.directory)
        files = []
        manifest = directory / "manifest.json"
        if manifest.is_file():
            for name, info in json.loads(manifest.read_text("utf-8"))["files"].items():
                files.append({"name": name, "path": str(directory / name),
                              "sha256": info["sha256"], "size": info["size"]})

        def pair(path: str | None, digest: str | None) -> dict[str, str] | None:
            return {"path": path, "sha256": digest} if path else None

        return {
            "domain": domain, "captured_at": iso(as_utc(row.captured_at)), "url": row.url,
            "final_url": row.final_url, "status": row.status, "title": row.title,
            "directory": row.directory, "canary_result": row.canary_result,
            "canary_number": row.canary_number,
            "screenshot": pair(row.screenshot_path, row.screenshot_sha256),
            "dom": pair(row.dom_path, row.dom_sha256),
            "manifest": pair(row.manifest_path, row.manifest_sha256),
            "exchange": pair(row.exchange_path, row.exchange_sha256),
            "files": files,
        }

"""The one-screen summary printed after every crawl: one row per source."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from store.clock import as_utc
from store.models import CrawlRun, Source

HEADER = ("source", "status", "pages", "listings", "new", "changed", "removed", "errors",
          "seconds")


@dataclass
class RunRow:
    source: str
    status: str
    complete: bool
    pages: int
    listings: int
    new: int
    changed: int
    removed: int
    errors: int
    seconds: float
    error_kinds: dict[str, int]


def batch_rows(engine: Engine, batch: str) -> list[RunRow]:
    with Session(engine) as session:
        runs = session.execute(
            select(CrawlRun, Source.name).join(Source).where(CrawlRun.batch == batch)
            .order_by(Source.name)
        ).all()
    rows = []
    for run, name in runs:
        stats = run.stats or {}
        counts = stats.get("certwatch", {})
        kinds = {k.removeprefix("certwatch/errors/"): v for k, v in stats.items()
                 if k.startswith("certwatch/errors/") and k != "certwatch/errors/nav_pages"}
        started, finished = as_utc(run.started_at), as_utc(run.finished_at)
        rows.append(RunRow(
            source=name, status=run.status, complete=run.complete,
            pages=counts.get("pages", 0), listings=counts.get("listings", 0),
            new=counts.get("new", 0), changed=counts.get("changed", 0),
            removed=counts.get("removed", 0), errors=sum(kinds.values()),
            seconds=(finished - started).total_seconds() if finished and started else 0.0,
            error_kinds=kinds,
        ))
    return rows


def render(rows: list[RunRow]) -> str:
    table = [HEADER] + [
        (r.source, r.status + ("" if r.complete or r.status != "finished" else "*"),
         str(r.pages), str(r.listings), str(r.new), str(r.changed), str(r.removed),
         str(r.errors), f"{r.seconds:.1f}")
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in rows:
        if r.error_kinds:
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(r.error_kinds.items()))
            lines.append(f"{r.source} errors: {kinds}")
    if any(r.status == "finished" and not r.complete for r in rows):
        lines.append("* incomplete: some list pages failed or were cut off, "
                     "so unseen listings were not marked removed")
    return "\n".join(lines)

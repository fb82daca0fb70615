"""Close one source of a distributed crawl batch once its last worker has left.

Each worker saw only part of the list pages, so none of them may mark unseen listings removed
on its own (the pipeline leaves shared runs incomplete). The last worker to leave calls this
with the union of the keys every worker saw.
"""

from __future__ import annotations

from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from store.clock import utcnow
from store.models import CrawlRun, Listing, ListingEvent, Source

# Stats that mean a run (or a worker) did not see every list page, so absence proves nothing;
# the crawl pipeline judges single runs by the same list.
INCOMPLETE_STATS = ("certwatch/errors/nav_pages", "certwatch/trap/dropped",
                    "certwatch/limits/list_pages_dropped")


def close_shared_source(engine: Engine, batch: str, source: str, seen: set[str]) -> int | None:
    """Apply removals by absence; returns how many, or None when the batch was incomplete."""
    now = utcnow()
    with Session(engine) as session, session.begin():
        runs = session.scalars(select(CrawlRun).join(Source).where(
            CrawlRun.batch == batch, Source.name == source).order_by(CrawlRun.id)).all()
        complete = bool(runs) and bool(seen) and all(
            run.status == "finished" and run.close_reason == "finished"
            and not any((run.stats or {}).get(k) for k in INCOMPLETE_STATS) for run in runs)
        if not complete:
            return None
        last = runs[-1]
        gone = session.execute(select(Listing.id, Listing.key).where(
            Listing.source_id == last.source_id, Listing.removed.is_(False))).all()
        gone_ids = [lid for lid, key in gone if key not in seen]
        if gone_ids:
            session.execute(insert(ListingEvent), [
                {"run_id": last.id, "listing_id": lid, "kind": "removed", "at": now}
                for lid in gone_ids])
            session.execute(update(Listing).where(Listing.id.in_(gone_ids))
                            .values(removed=True, removed_at=now))
        for run in runs:
            run.complete = True
        stats = dict(last.stats or {})
        counts = dict(stats.get("certwatch", {}))
        counts["removed"] = counts.get("removed", 0) + len(gone_ids)
        last.stats = {**stats, "certwatch": counts}
    return len(gone_ids)


def interrupt_worker_runs(engine: Engine, batch: str,
                          workers: list[tuple[str, int]] | None) -> int:
    """Mark the runs of dead workers (host, pid) of `batch` — all its runs still `running` when
    `workers` is None — as interrupted. `sweep_stale_runs` only sees this host's processes;
    a distributed batch learns of a death on another machine from the worker's heartbeat."""
    query = select(CrawlRun).where(CrawlRun.batch == batch, CrawlRun.status == "running")
    if workers is not None:
        if not workers:
            return 0
        query = query.where(or_(*(and_(CrawlRun.hostname == host, CrawlRun.pid == pid)
                                  for host, pid in workers)))
    with Session(engine) as session, session.begin():
        runs = session.scalars(query).all()
        for run in runs:
            run.status = "interrupted"
            run.close_reason = "worker died"
            run.finished_at = run.finished_at or utcnow()
    return len(runs)

"""Record one crawl run of one source: pages, listings, versions and the night-to-night diff.

Writes are buffered and committed in batches, each batch one transaction, so a kill loses at
most the last uncommitted batch and never leaves a listing without its version.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from store.bodies import BodyStore
from store.clock import utcnow
from store.models import (
    Contact,
    CrawlRun,
    FetchedPage,
    Listing,
    ListingContact,
    ListingEvent,
    ListingVersion,
    Source,
)
from store.upsert import insert_ignoring

# Scores a batch of listings: one dict per listing with the VERDICT_COLUMNS and "contacts"
# (a list of {"key", "kind", "value"}). Injected by the crawler so the store needs no model.
Scorer = Callable[[list["ListingData"]], list[dict[str, Any]]]


@dataclass
class PageData:
    url: str
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes | None = None
    kind: str = ""
    encoding: str | None = None
    error: str | None = None


@dataclass
class ListingData:
    key: str
    url: str
    title: str
    text: str
    seen_at: datetime
    posted: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    page_hash: str | None = None

    def content_hash(self) -> str:
        # Everything an analyst would call "the ad changed"; page bytes (ads, timestamps
        # in the page chrome) deliberately excluded.
        doc = {"title": self.title, "text": self.text, "posted": self.posted,
               "fields": self.fields}
        raw = json.dumps(doc, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass
class _Known:
    id: int
    content_hash: str
    removed: bool
    version: int


@dataclass
class _Batch:
    """One flush's listings, split against `_known` and scored before the write lock."""
    new: dict[str, tuple[ListingData, str]] = field(default_factory=dict)
    changed: list[tuple[_Known, ListingData, str]] = field(default_factory=list)
    reappeared: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    new_analyses: list[dict[str, Any]] = field(default_factory=list)
    changed_analyses: list[dict[str, Any]] = field(default_factory=list)


_VERSION_RETRIES = 5  # each retry means yet another worker stored a version meanwhile


@dataclass
class RunCounts:
    pages: int = 0
    page_errors: int = 0
    listings: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    reappeared: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_runs(engine: Engine) -> int:
    """Mark runs left `running` by a dead process on this host as interrupted."""
    host = socket.gethostname()
    with Session(engine) as session, session.begin():
        stale = [
            run for run in session.scalars(
                select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.hostname == host)
            )
            if run.pid is None or (run.pid != os.getpid() and not pid_alive(run.pid))
        ]
        for run in stale:
            run.status = "interrupted"
            run.close_reason = run.close_reason or "process died"
            run.finished_at = run.finished_at or utcnow()
    return len(stale)


def ensure_source(session: Session, name: str, title: str = "", platform: str = "",
                  config_hash: str = "") -> Source:
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        # Distributed workers starting together on a new database all get here: the first
        # insert wins and the others adopt its row instead of failing that source's crawl.
        session.execute(insert_ignoring(session, Source, ("name",)), [
            {"name": name, "title": title, "platform": platform, "config_hash": config_hash}])
        source = session.scalars(select(Source).where(Source.name == name)
                                 .execution_options(populate_existing=True)).one()
    else:
        source.title, source.platform, source.config_hash = title, platform, config_hash
    return source


class RunRecorder:
    """The single writer for one run; one thread at a time (the crawl hands it to its
    writer thread between `start` and `finish`).

    `lock` serialises transactions of recorders sharing a database from several threads:
    SQLite allows one writer, and a read transaction upgrading to a write after another
    thread's commit fails at once instead of waiting.
    """

    def __init__(self, engine: Engine, bodies: BodyStore, source_name: str, *,
                 batch: str, night: int | None = None, source_title: str = "",
                 platform: str = "", config_hash: str = "", flush_every: int = 200,
                 flush_seconds: float = 2.0, scorer: Scorer | None = None,
                 lock: threading.Lock | None = None) -> None:
        self.engine = engine
        self.lock = lock or threading.Lock()
        self.bodies = bodies
        self.source_name = source_name
        self.batch = batch
        self.night = night
        self._meta = (source_title, platform, config_hash)
        self.flush_every = flush_every
        self.scorer = scorer
        self.flush_seconds = flush_seconds
        self._last_flush = time.monotonic()
        self.counts = RunCounts()
        self.run_id: int | None = None
        self.source_id: int | None = None
        self._known: dict[str, _Known] = {}
        self._seen: set[str] = set()
        self._gone: set[str] = set()
        self._stored_this_run: dict[str, str] = {}
        self._pages: list[dict[str, Any]] = []
        self._listings: list[ListingData] = []
        self._after_commit: list[Callable[[], None]] = []

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> int:
        with self.lock:
            return self._start()

    def _start(self) -> int:
        sweep_stale_runs(self.engine)
        with Session(self.engine) as session, session.begin():
            source = ensure_source(session, self.source_name, *self._meta)
            run = CrawlRun(batch=self.batch, source_id=source.id, night=self.night,
                           started_at=utcnow(), status="running", pid=os.getpid(),
                           hostname=socket.gethostname(), stats={})
            session.add(run)
            session.flush()
            self.run_id, self.source_id = run.id, source.id
            rows = session.execute(
                select(Listing.id, Listing.key, Listing.content_hash, Listing.removed)
                .where(Listing.source_id == source.id)
            ).all()
            versions = dict(session.execute(
                select(ListingVersion.listing_id, ListingVersion.version)
                .join(Listing).where(Listing.source_id == source.id)
                .order_by(ListingVersion.version)
            ).all())
            self._known = {
                key: _Known(lid, chash, removed, versions.get(lid, 0))
                for lid, key, chash, removed in rows
            }
        return self.run_id

    def finish(self, *, status: str, close_reason: str, complete: bool,
               stats: dict[str, Any]) -> RunCounts:
        """Flush, then apply removals when the run saw the whole source, and close the run."""
        self.flush()
        now = utcnow()
        with self.lock, Session(self.engine) as session, session.begin():
            # A 404 on the ad's own page is proof whatever the run's fate; absence from
            # the list pages only counts when the run covered the whole source.
            self._apply_removals(session, now, unseen=status == "finished" and complete)
            run = session.get(CrawlRun, self.run_id)
            run.status = status
            run.close_reason = close_reason
            run.complete = complete
            run.finished_at = now
            run.stats = {**_jsonable(stats), "certwatch": self.counts.as_dict()}
        return self.counts

    def abandon(self, *, close_reason: str, stats: dict[str, Any]) -> RunCounts:
        """Close a run whose writes failed: drop what is buffered, infer nothing, mark it
        interrupted. Committed batches stay; they are whole by construction."""
        self._pages, self._listings, self._after_commit = [], [], []
        with self.lock, Session(self.engine) as session, session.begin():
            run = session.get(CrawlRun, self.run_id)
            run.status = "interrupted"
            run.close_reason = close_reason
            run.complete = False
            run.finished_at = utcnow()
            run.stats = {**_jsonable(stats), "certwatch": self.counts.as_dict()}
        return self.counts

    # -- observations ----------------------------------------------------------------------
    def add_page(self, page: PageData) -> str | None:
        digest = self.bodies.put(page.body) if page.body is not None else None
        self.counts.pages += 1
        if page.error:
            self.counts.page_errors += 1
        self._pages.append({
            "run_id": self.run_id, "url": page.url, "final_url": page.final_url,
            "status": page.status, "headers": page.headers, "fetched_at": page.fetched_at,
            "content_hash": digest, "size": len(page.body) if page.body is not None else None,
            "kind": page.kind, "encoding": page.encoding, "error": page.error,
        })
        self._maybe_flush()
        return digest

    def mark_seen(self, keys: Iterable[str]) -> None:
        """Keys listed on a list page: they still exist even if their detail fetch fails."""
        self._seen.update(keys)

    def mark_gone(self, key: str) -> None:
        """The listing's own page answered 404/410."""
        self._gone.add(key)
        self._seen.discard(key)

    def add_listing(self, listing: ListingData) -> None:
        self._seen.add(listing.key)
        self._listings.append(listing)
        self._maybe_flush()

    def after_commit(self, callback: Callable[[], None], *, now: bool = False) -> None:
        """Call `callback` once everything added so far is committed: at once when nothing
        is buffered, else after the flush that commits it (never, if that flush fails).
        `now`: flush at once instead of when the buffer is due."""
        if not self._pages and not self._listings:
            callback()
            return
        self._after_commit.append(callback)
        if now:
            self.flush()
        else:
            self._maybe_flush()

    def _maybe_flush(self) -> None:
        # By size for throughput, by age so a slow crawl killed mid-way loses seconds, not
        # minutes, of work.
        if (len(self._pages) + len(self._listings) >= self.flush_every
                or time.monotonic() - self._last_flush >= self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pages and not self._listings:
            self._run_after_commit()
            return
        pages, listings = self._pages, self._listings
        self._pages, self._listings = [], []
        # Split and score outside the process-wide lock: scoring is the slow part, and the
        # split only reads this recorder's in-memory `_known`.
        batch = self._split(listings) if listings else None
        with self.lock, Session(self.engine) as session, session.begin():
            if pages:
                # Core, not the ORM bulk path: the same rows at 17 µs each instead of 24.
                session.execute(insert(FetchedPage.__table__), pages)
            if batch is not None:
                self._write(session, batch)
        self._run_after_commit()

    def _run_after_commit(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    # -- internals -------------------------------------------------------------------------
    def _split(self, items: list[ListingData],
               scored: dict[str, dict[str, Any]] | None = None) -> _Batch:
        """Sort a batch into new / changed / unchanged and score what is new or changed.

        `scored`: verdicts already computed for these items (adopting a rival's rows).
        """
        batch = _Batch()
        for item in items:
            chash = item.content_hash()
            if self._stored_this_run.get(item.key) == chash:
                continue  # same ad reached twice in one run
            self._stored_this_run[item.key] = chash
            self.counts.listings += 1
            known = self._known.get(item.key)
            if known is None:
                batch.new[item.key] = (item, chash)
                continue
            if known.removed:
                batch.events.append(self._event(known.id, "reappeared", item.seen_at))
                self.counts.reappeared += 1
                known.removed = False
                batch.reappeared.append(known.id)
            if known.content_hash == chash:
                self.counts.unchanged += 1
                batch.unchanged.append(known.id)
                continue
            known.content_hash = chash
            batch.changed.append((known, item, chash))
            batch.events.append(self._event(known.id, "changed", item.seen_at))
            self.counts.changed += 1
        # Only new and changed content is scored: an unchanged ad keeps its verdict.
        fresh = [item for item, _ in batch.new.values()] + [item for _, item, _ in batch.changed]
        analyses = (self._analyse(fresh) if scored is None
                    else [scored[item.key] for item in fresh])
        batch.new_analyses = analyses[:len(batch.new)]
        batch.changed_analyses = analyses[len(batch.new):]
        return batch

    def _write(self, session: Session, batch: _Batch) -> None:
        """Write a split batch in bulk, inside the caller's transaction."""
        new, new_analyses, changed = batch.new, batch.new_analyses, batch.changed
        versions: list[tuple[_Known, ListingData, str]] = []
        lost: list[ListingData] = []
        lost_scored: dict[str, dict[str, Any]] = {}
        if batch.reappeared:
            session.execute(update(Listing).where(Listing.id.in_(batch.reappeared))
                            .values(removed=False, removed_at=None))
        # Row locks in id order, like every writer here: rival workers cannot deadlock.
        for (known, item, chash), analysis in sorted(
                zip(changed, batch.changed_analyses, strict=True), key=lambda c: c[0][0].id):
            versions.append((known, item, chash))
            session.execute(update(Listing).where(Listing.id == known.id).values(
                url=item.url, title=item.title, text=item.text, fields=item.fields,
                posted=item.posted, content_hash=chash, page_hash=item.page_hash,
                last_seen=item.seen_at, last_run_id=self.run_id, **_verdict(analysis)))
        if new:
            # Sorted by key: concurrent workers then take row locks in one order (no deadlock).
            rows = sorted(({
                "source_id": self.source_id, "key": item.key, "url": item.url,
                "title": item.title, "text": item.text, "fields": item.fields,
                "posted": item.posted, "content_hash": chash, "page_hash": item.page_hash,
                "first_seen": item.seen_at, "last_seen": item.seen_at,
                "first_run_id": self.run_id, "last_run_id": self.run_id, "removed": False,
                **_verdict(analysis),
            } for (item, chash), analysis in zip(new.values(), new_analyses, strict=True)),
                key=lambda row: row["key"])
            inserted = dict(session.execute(
                insert_ignoring(session, Listing, ("source_id", "key"))
                .returning(Listing.key, Listing.id), rows).all())
            if len(inserted) < len(new):  # another distributed worker stored some first
                analysed = dict(zip(new, new_analyses, strict=True))
                lost = [new[key][0] for key in new if key not in inserted]
                lost_scored = {item.key: analysed[item.key] for item in lost}
                new = {k: v for k, v in new.items() if k in inserted}
                new_analyses = [analysed[k] for k in new]
            for key, (item, chash) in new.items():
                listing_id = inserted[key]
                known = self._known[key] = _Known(listing_id, chash, False, 0)
                versions.append((known, item, chash))
                batch.events.append(self._event(listing_id, "new", item.seen_at))
            self.counts.new += len(new)
        if versions:
            self._insert_versions(session, versions)
            listing_ids = [known.id for known, _, _ in changed] + [
                self._known[key].id for key in new]
            self._link_contacts(session, listing_ids, batch.changed_analyses + new_analyses)
        if batch.events:
            session.execute(insert(ListingEvent.__table__), batch.events)
        if batch.unchanged:
            session.execute(update(Listing).where(Listing.id.in_(sorted(batch.unchanged)))
                            .values(last_seen=utcnow(), last_run_id=self.run_id))
        if lost:
            self._adopt(session, lost, lost_scored)

    def _insert_versions(self, session: Session,
                         versions: list[tuple[_Known, ListingData, str]]) -> None:
        """Append versions; a number a concurrent worker took first moves to the next free one.

        Two distributed workers that both saw an ad change both hold version N in memory:
        ON CONFLICT DO NOTHING, re-read the highest stored number, and retry the losers.
        """
        pending = sorted(versions, key=lambda v: v[0].id)
        for _ in range(_VERSION_RETRIES):
            rows = [self._version(known, item, chash) for known, item, chash in pending]
            stored = set(session.execute(
                insert_ignoring(session, ListingVersion, ("listing_id", "version"))
                .returning(ListingVersion.listing_id, ListingVersion.version), rows).all())
            pending = [v for v, row in zip(pending, rows, strict=True)
                       if (row["listing_id"], row["version"]) not in stored]
            if not pending:
                return
            latest = dict(session.execute(
                select(ListingVersion.listing_id, func.max(ListingVersion.version))
                .where(ListingVersion.listing_id.in_({known.id for known, _, _ in pending}))
                .group_by(ListingVersion.listing_id)).all())
            for known, _, _ in pending:
                known.version = latest.get(known.id, known.version)
        raise RuntimeError(f"listing versions still contended after {_VERSION_RETRIES} tries")

    def _adopt(self, session: Session, items: list[ListingData],
               scored: dict[str, dict[str, Any]]) -> None:
        """Listings a concurrent worker inserted first: store them as known ones."""
        keys = [item.key for item in items]
        rows = session.execute(
            select(Listing.id, Listing.key, Listing.content_hash, Listing.removed)
            .where(Listing.source_id == self.source_id, Listing.key.in_(keys))).all()
        versions = dict(session.execute(
            select(ListingVersion.listing_id, func.max(ListingVersion.version))
            .where(ListingVersion.listing_id.in_([r.id for r in rows]))
            .group_by(ListingVersion.listing_id)).all())
        for lid, key, chash, removed in rows:
            self._known[key] = _Known(lid, chash, removed, versions.get(lid, 0))
        for item in items:
            self._stored_this_run.pop(item.key, None)
            self.counts.listings -= 1
        self._write(session, self._split(items, scored))

    def _analyse(self, items: list[ListingData]) -> list[dict[str, Any]]:
        if self.scorer is None or not items:
            return [{} for _ in items]
        return self.scorer(items)

    def _link_contacts(self, session: Session, listing_ids: list[int],
                       analyses: list[dict[str, Any]]) -> None:
        """Contacts are how one intermediary's ads across sources are tied together."""
        wanted = {c["key"]: c for a in analyses for c in a.get("contacts", ())}
        if not wanted:
            return
        now = utcnow()
        ids = dict(session.execute(
            select(Contact.key, Contact.id).where(Contact.key.in_(wanted))).all())
        missing = [k for k in wanted if k not in ids]
        if missing:
            rows = [{"key": k, "kind": wanted[k]["kind"], "value": wanted[k]["value"],
                     "first_seen": now} for k in sorted(missing)]  # lock order: no deadlock
            session.execute(insert_ignoring(session, Contact, ("key",)), rows)
            # Re-read: a concurrent worker may have inserted some of these keys first.
            ids.update(session.execute(
                select(Contact.key, Contact.id).where(Contact.key.in_(missing))).all())
        pairs = {(lid, ids[c["key"]]) for lid, a in zip(listing_ids, analyses, strict=True)
                 for c in a.get("contacts", ())}
        existing = set(session.execute(
            select(ListingContact.listing_id, ListingContact.contact_id)
            .where(ListingContact.listing_id.in_({lid for lid, _ in pairs}))).all())
        fresh = [{"listing_id": lid, "contact_id": cid, "first_seen": now}
                 for lid, cid in sorted(pairs - existing)]
        if fresh:
            session.execute(insert_ignoring(session, ListingContact,
                                            ("listing_id", "contact_id")), fresh)

    def _version(self, known: _Known, item: ListingData, chash: str) -> dict[str, Any]:
        known.version += 1
        return {"listing_id": known.id, "version": known.version, "run_id": self.run_id,
                "seen_at": item.seen_at, "title": item.title, "text": item.text,
                "fields": item.fields, "posted": item.posted, "content_hash": chash,
                "page_hash": item.page_hash}

    def _event(self, listing_id: int, kind: str, at: datetime) -> dict[str, Any]:
        return {"run_id": self.run_id, "listing_id": listing_id, "kind": kind, "at": at}

    def _apply_removals(self, session: Session, now: datetime, *, unseen: bool) -> None:
        gone = [
            known for key, known in self._known.items()
            if not known.removed and (key in self._gone or (unseen and key not in self._seen))
        ]
        for known in gone:
            known.removed = True
        if gone:
            session.execute(insert(ListingEvent),
                            [self._event(k.id, "removed", now) for k in gone])
            session.execute(
                update(Listing).where(Listing.id.in_([k.id for k in gone]))
                .values(removed=True, removed_at=now)
            )
        self.counts.removed = len(gone)


VERDICT_COLUMNS = ("label", "score", "scores", "reasons", "attributes", "model_version")


def _verdict(analysis: dict[str, Any]) -> dict[str, Any]:
    return {k: analysis.get(k) for k in VERDICT_COLUMNS}


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, int | float | str | bool) or value is None:
            out[key] = value
        else:
            out[key] = str(value)
    return out

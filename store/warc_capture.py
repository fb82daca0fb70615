"""Turn page captures into WARC records and index rows, off the crawl's reactor thread.

The crawler hands over `PageCapture`s; one writer thread serialises, compresses and appends
them (`store.warc.WarcArchive`), deduplicates payloads already archived (a `revisit` record
pointing at the first copy, found in this process or in the `warc_records` index), and
inserts the index rows in batches, one transaction per batch. Rows are inserted only after
their record is on disk, so every indexed record can be read back.

The queue is bounded by captures and by bytes, as the store's writer is (`store.writer`):
when the disk falls behind, `submit` blocks and the crawl slows down instead of holding
every fetched body in memory. A capture that fails to write costs that capture only (the
archive moves on to a new file); an index batch that fails to commit is retried once, then
counted in `errors` and `unindexed` (its records stay in the file, unindexed).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from store.warc import HttpMessage, WarcArchive, WrittenRecord, warc_date
from store.warc_index_db import IndexDatabase, url_digest

logger = logging.getLogger(__name__)


@dataclass
class Exchange:
    """One HTTP request and its response, as the crawler's client saw them."""

    url: str
    request: HttpMessage
    response: HttpMessage
    sent_at: datetime
    received_at: datetime
    status: int | None = None
    ip_address: str | None = None
    # TLS: the server certificate (PEM) or, from a browser, its security details (JSON).
    certificate: bytes | None = None
    certificate_type: str = "application/x-pem-file"
    role: str = "page"  # page (the document itself) | subresource (browser network)


@dataclass
class Blob:
    """A record made by certwatch about a page: stamped screenshot, rendered DOM (`resource`),
    the browser's settings (`metadata`)."""

    role: str
    uri: str
    data: bytes
    content_type: str
    at: datetime
    record_type: str = "resource"


@dataclass
class PageCapture:
    """Everything captured for one fetched page; the first exchange is the page itself."""

    source: str
    page_url: str
    run_id: int | None
    kind: str = ""
    listing_key: str | None = None
    referrer: str | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    blobs: list[Blob] = field(default_factory=list)
    capture_id: str = ""  # set by the writer thread (uuid4 costs the crawl's thread)


@dataclass(frozen=True)
class _Original:
    record_id: str
    uri: str
    date: str


# The writer wakes this often (or when the queue is full) and takes what has piled up, up to
# BATCH captures per deduplication query. A kill loses what is still queued (at most
# MAX_PAGES captures / MAX_BYTES of bodies) and the index rows not yet committed (up to
# flush_every rows or flush_seconds' worth); records already in the file stay readable there.
BATCH = 100
BATCH_WAIT = 0.5
MAX_PAGES = 500
MAX_BYTES = 64 << 20
FLUSH_RETRY_WAIT = 1.0


class CaptureWriter:
    """Owns a WARC archive and a writer thread; `submit` blocks only while the queue is full."""

    def __init__(self, home: Path, db_url: str, *, source: str,
                 info: dict[str, str], flush_every: int = 500, flush_seconds: float = 2.0,
                 roll_bytes: int | None = None, lock: threading.Lock | None = None,
                 max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES,
                 name: str | None = None) -> None:
        self.home = home
        # Writers in one process that share a lock take turns on the database: SQLite lets
        # one writer in at a time, and a transaction that finds it busy sleeps in SQLite's
        # back-off instead of waiting exactly as long as needed. (The crawl's writer runs in
        # its own process, `store.warc_process`, where the busy timeout arbitrates.)
        self.lock = lock or threading.Lock()
        self.source = source
        self.info = info
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.roll_bytes = roll_bytes
        self.db_url = db_url
        self._db: IndexDatabase | None = None
        self._archive: WarcArchive | None = None
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        # A deque the writer polls, not a Queue: a submit costs the crawl's thread one
        # uncontended lock and no wake-up unless the queue is full.
        self._pending: deque[tuple[PageCapture, int]] = deque()
        self._queued_bytes = 0
        self._room = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._rows: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()
        self._originals: dict[str, _Original] = {}
        self._rel_for: Path | None = None
        self._rel = ""
        self.records = 0
        self.revisits = 0
        self.bytes = 0
        self.errors = 0
        self.unindexed = 0  # records written whose index rows could not be committed
        self._thread = threading.Thread(target=self._run, name=name or f"warc-{source}",
                                        daemon=True)
        self._thread.start()

    @property
    def files(self) -> list[Path]:
        return list(self._archive.files) if self._archive else []

    def submit(self, capture: PageCapture) -> None:
        """Queue `capture`; blocks while the queue is full (one larger than the byte budget
        still goes through once the queue is empty)."""
        size = capture_size(capture)
        with self._room:
            while self._pending and self._thread.is_alive() and (
                    len(self._pending) >= self.max_pages
                    or self._queued_bytes + size > self.max_bytes):
                self._wake.set()
                self._room.wait(BATCH_WAIT)
            self._pending.append((capture, size))
            self._queued_bytes += size

    def close(self) -> None:
        """Write everything queued, index it, close the file. Blocks: call it off the
        reactor thread."""
        if self._thread.is_alive():
            self._stop.set()
            self._wake.set()
            self._thread.join()

    # -- writer thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait(BATCH_WAIT)
            self._wake.clear()
            stopping = self._stop.is_set()
            while True:
                with self._room:
                    taken = [self._pending.popleft()
                             for _ in range(min(BATCH, len(self._pending)))]
                if taken:
                    batch = [capture for capture, _ in taken]
                    self._guarded(functools.partial(self._write_batch, batch), len(batch))
                    with self._room:  # room again only once the bodies are on disk
                        self._queued_bytes -= sum(size for _, size in taken)
                        self._room.notify_all()
                if (not self._pending and stopping) or len(self._rows) >= self.flush_every \
                        or time.monotonic() - self._last_flush >= self.flush_seconds:
                    self._guarded(self._flush_rows, 0)
                if not self._pending:
                    break
            if stopping:
                break
        if self._archive is not None:
            self._archive.close()
        if self._db is not None:
            self._db.close()

    def _guarded(self, step: Callable[[], None], pages: int) -> None:
        try:
            step()
        except Exception:  # keep capturing the rest; the crawl log says what was lost
            self.errors += 1
            logger.exception("WARC capture failed (%d page(s) in the batch)", pages)

    def _index_db(self) -> IndexDatabase:
        if self._db is None:
            self._db = IndexDatabase(self.db_url)
        return self._db

    def _archive_for(self, capture: PageCapture) -> WarcArchive:
        if self._archive is None:
            self._archive = WarcArchive(
                self.home / "warc", run=capture.run_id if capture.run_id is not None else "x",
                source=self.source, info=self.info,
                **({"roll_bytes": self.roll_bytes} if self.roll_bytes else {}))
        return self._archive

    def _lookup_originals(self, batch: list[PageCapture]) -> None:
        """One query per batch: payloads some earlier run already archived."""
        wanted = {hashlib.sha256(ex.response.body).hexdigest()
                  for capture in batch for ex in capture.exchanges if ex.response.body}
        wanted -= self._originals.keys()
        if not wanted:
            return
        with self.lock:
            rows = self._index_db().originals(sorted(wanted))
        for digest, record_id, uri, captured_at in rows:
            self._originals.setdefault(digest, _Original(record_id, uri, warc_date(captured_at)))

    def _write_batch(self, batch: list[PageCapture]) -> None:
        try:
            self._lookup_originals(batch)
        except Exception:  # no deduplication against earlier runs: full copies, still right
            logger.warning("WARC revisit lookup failed; writing full records", exc_info=True)
        for capture in batch:
            # One page's failure costs that page: the archive has moved on to a new file.
            self._guarded(functools.partial(self._write_capture, capture), 1)

    def _write_capture(self, capture: PageCapture) -> None:
        capture.capture_id = capture.capture_id or str(uuid.uuid4())
        archive = self._archive_for(capture)
        main_id: str | None = None
        for exchange in capture.exchanges:
            body = exchange.response.body
            sha = hashlib.sha256(body).digest() if body else None
            original = self._originals.get(sha.hex()) if sha else None
            if original is not None:
                written = archive.write_revisit(
                    exchange.url, exchange.response, date=exchange.received_at,
                    refers_to=original.record_id, refers_to_uri=original.uri,
                    refers_to_date=original.date, ip_address=exchange.ip_address,
                    payload_sha=sha)
                self.revisits += 1
            else:
                written = archive.write_response(
                    exchange.url, exchange.response, date=exchange.received_at,
                    ip_address=exchange.ip_address, payload_sha=sha)
                if sha:
                    self._originals[sha.hex()] = _Original(
                        written.record_id, written.target_uri, written.date)
            self._index(capture, written, exchange.role, payload=sha.hex() if sha else None,
                        refers_to=original.record_id if original else None,
                        content_type=_header(exchange.response.headers, "content-type"),
                        status=exchange.status, ip=exchange.ip_address,
                        at=exchange.received_at, url=exchange.url)
            if main_id is None:
                main_id = written.record_id
            request = archive.write_request(exchange.url, exchange.request,
                                            date=exchange.sent_at,
                                            concurrent_to=written.record_id)
            self._index(capture, request, exchange.role, at=exchange.sent_at,
                        url=exchange.url, concurrent_to=written.record_id,
                        payload=request.payload_sha256 if exchange.request.body else None)
            if exchange.certificate:
                cert = archive.write_blob(
                    "metadata", exchange.url, exchange.certificate, exchange.certificate_type,
                    date=exchange.received_at, concurrent_to=written.record_id)
                self._index(capture, cert, "certificate", at=exchange.received_at,
                            url=exchange.url, concurrent_to=written.record_id,
                            content_type=exchange.certificate_type,
                            payload=cert.payload_sha256)
        for blob in capture.blobs:
            written = archive.write_blob(blob.record_type, blob.uri, blob.data,
                                         blob.content_type, date=blob.at,
                                         concurrent_to=main_id)
            self._index(capture, written, blob.role, at=blob.at, url=capture.page_url,
                        concurrent_to=main_id, content_type=blob.content_type,
                        payload=written.payload_sha256)

    def _index(self, capture: PageCapture, written: WrittenRecord, role: str, *,
               at: datetime, url: str, payload: str | None = None,
               concurrent_to: str | None = None, refers_to: str | None = None,
               content_type: str | None = None, status: int | None = None,
               ip: str | None = None) -> None:
        self.records += 1
        self.bytes += written.length
        self._rows.append({
            "run_id": capture.run_id, "source": capture.source,
            "capture_id": capture.capture_id, "page_kind": capture.kind, "role": role,
            "page_url": capture.page_url, "url": url, "target_uri": written.target_uri,
            "page_url_sha256": self._digest(capture.page_url), "url_sha256": self._digest(url),
            "listing_key": capture.listing_key, "referrer": capture.referrer,
            "record_type": written.record_type, "warc_record_id": written.record_id,
            "concurrent_to": concurrent_to, "refers_to": refers_to,
            "path": self._relative(written.path),
            "offset": written.offset, "length": written.length,
            "payload_sha256": payload, "record_sha256": written.record_sha256,
            "captured_at": at, "content_type": content_type[:200] if content_type else None,
            "http_status": status, "ip_address": ip,
        })

    @staticmethod
    @functools.lru_cache(maxsize=256)
    def _digest(url: str) -> str:
        return url_digest(url)  # a page's records share its URL: hash it once

    def _relative(self, path: Path) -> str:
        if path != self._rel_for:
            self._rel_for, self._rel = path, path.relative_to(self.home).as_posix()
        return self._rel

    def _flush_rows(self) -> None:
        self._last_flush = time.monotonic()
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        try:
            self._insert(rows)
        except Exception:  # a locked or briefly unreachable database: once more
            logger.warning("WARC index batch of %d rows failed; retrying once", len(rows),
                           exc_info=True)
            time.sleep(FLUSH_RETRY_WAIT)
            try:
                self._insert(rows)
            except Exception:
                self.unindexed += len(rows)
                raise

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self.lock:
            self._index_db().insert(rows)


def capture_size(capture: PageCapture) -> int:
    """The bytes a queued capture holds (bodies and blobs; heads are small)."""
    return (sum(len(ex.response.body) + len(ex.request.body) for ex in capture.exchanges)
            + sum(len(blob.data) for blob in capture.blobs))


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None

"""Find the WARC records captured for a listing or a URL, and read them back byte-exact.

`captures_for_listing` gathers, for every run that saw the listing, the capture of its own
page (detail page, or for list-only sources the list page it was read from) and of the list
page that led to it, with every record of each capture (request, response or revisit, TLS
certificate, browser network exchanges, screenshot, DOM). A `revisit` carries its
`original`, and the original record is in the list too, so a packet always holds the bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, Engine, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from store.clock import as_utc
from store.errors import StoreError
from store.evidence_models import WarcRecordRow, url_digest
from store.models import Listing, ListingVersion, Source


class WarcRecordError(StoreError):
    """A WARC record is missing or its bytes no longer match the hash taken at capture."""


class UnknownListing(StoreError):
    """No listing has this id."""


@dataclass(frozen=True)
class WarcRef:
    """Where one record is (`path` absolute, byte `offset`, `length`) and what it holds."""

    path: Path
    offset: int
    length: int
    record_type: str  # warcinfo | request | response | revisit | resource | metadata
    target_uri: str
    warc_record_id: str
    payload_sha256: str | None
    record_sha256: str
    captured_at: datetime
    content_type: str | None
    role: str = "page"  # page | subresource | certificate | screenshot | dom | browser
    url: str = ""  # the HTTP URL (screenshots/DOM: the page's URL; target_uri is urn:…)
    page_url: str = ""
    page_kind: str = ""
    run_id: int | None = None
    capture_id: str = ""
    http_status: int | None = None
    ip_address: str | None = None
    concurrent_to: str | None = None
    refers_to: str | None = None
    original: WarcRef | None = None  # for a revisit: the record holding the payload


def _default_home() -> Path:
    """CERTWATCH_HOME: WARC paths in the index are relative to it."""
    from certwatch.config import Config

    return Config.from_env().home


def _url_is(column: InstrumentedAttribute[str], url: str) -> ColumnElement[bool]:
    """`column == url` through the indexed digest column (`url` -> `url_sha256`)."""
    digest = getattr(WarcRecordRow, f"{column.key}_sha256")
    return and_(digest == url_digest(url), column == url)


def _ref(row: WarcRecordRow, home: Path, original: WarcRef | None = None) -> WarcRef:
    return WarcRef(
        path=home / row.path, offset=row.offset, length=row.length,
        record_type=row.record_type, target_uri=row.target_uri,
        warc_record_id=row.warc_record_id, payload_sha256=row.payload_sha256,
        record_sha256=row.record_sha256, captured_at=as_utc(row.captured_at),
        content_type=row.content_type, role=row.role, url=row.url, page_url=row.page_url,
        page_kind=row.page_kind, run_id=row.run_id, capture_id=row.capture_id,
        http_status=row.http_status, ip_address=row.ip_address,
        concurrent_to=row.concurrent_to, refers_to=row.refers_to, original=original)


def _refs(session: Session, rows: Iterable[WarcRecordRow], home: Path) -> list[WarcRef]:
    """Rows as refs, revisits resolved; originals appended; ordered by capture time."""
    rows = list(rows)
    have = {row.warc_record_id: row for row in rows}
    wanted = {row.refers_to for row in rows if row.refers_to} - have.keys()
    if wanted:
        for row in session.scalars(select(WarcRecordRow).where(
                WarcRecordRow.warc_record_id.in_(sorted(wanted)))):
            have[row.warc_record_id] = row
            rows.append(row)
    refs = []
    for row in rows:
        original = None
        if row.refers_to and row.refers_to in have:
            original = _ref(have[row.refers_to], home)
        refs.append(_ref(row, home, original))
    refs.sort(key=lambda r: (r.captured_at, str(r.path), r.offset))
    return refs


def _captures(session: Session, capture_ids: set[str]) -> list[WarcRecordRow]:
    if not capture_ids:
        return []
    return list(session.scalars(select(WarcRecordRow).where(
        WarcRecordRow.capture_id.in_(sorted(capture_ids)))))


def captures_for_listing(engine: Engine, listing_id: int,
                         home: Path | None = None) -> list[WarcRef]:
    """Every record of the listing's own page and of the list page it came from."""
    home = home or _default_home()
    with Session(engine) as session:
        listing = session.get(Listing, listing_id)
        if listing is None:
            raise UnknownListing(f"no listing with id {listing_id}")
        source = session.scalar(select(Source.name).where(Source.id == listing.source_id))
        hashes = {listing.page_hash} | set(session.scalars(
            select(ListingVersion.page_hash).where(ListingVersion.listing_id == listing_id)))
        hashes.discard(None)
        # Its own page: by key (detail pages), by URL, or by the page bytes it was read from
        # (list-only sources: the list page's body, or a browser page's rendered DOM).
        seeds = session.scalars(select(WarcRecordRow).where(
            WarcRecordRow.source == source,
            WarcRecordRow.role.in_(("page", "dom")),
            or_(WarcRecordRow.listing_key == listing.key, _url_is(WarcRecordRow.url, listing.url),
                WarcRecordRow.payload_sha256.in_(sorted(hashes))))).all()
        capture_ids = {row.capture_id for row in seeds}
        # The list page each detail capture was reached from, in the same run.
        for run_id, referrer in {(r.run_id, r.referrer) for r in seeds if r.referrer}:
            capture_ids.update(session.scalars(select(WarcRecordRow.capture_id).where(
                WarcRecordRow.run_id == run_id,
                _url_is(WarcRecordRow.page_url, referrer),
                WarcRecordRow.source == source)))
        return _refs(session, _captures(session, capture_ids), home)


def captures_for_url(engine: Engine, url: str, home: Path | None = None) -> list[WarcRef]:
    """Every capture of the page at `url` (as requested or as one hop of its redirects)."""
    home = home or _default_home()
    with Session(engine) as session:
        capture_ids = set(session.scalars(select(WarcRecordRow.capture_id).where(
            or_(_url_is(WarcRecordRow.page_url, url), _url_is(WarcRecordRow.url, url)))))
        return _refs(session, _captures(session, capture_ids), home)


def read_record_bytes(ref: WarcRef) -> bytes:
    """The record's gzip member exactly as stored, checked against its capture-time hash."""
    try:
        with open(ref.path, "rb") as handle:
            handle.seek(ref.offset)
            data = handle.read(ref.length)
    except FileNotFoundError:
        raise WarcRecordError(f"WARC file missing: {ref.path}") from None
    if len(data) != ref.length or hashlib.sha256(data).hexdigest() != ref.record_sha256:
        raise WarcRecordError(
            f"record {ref.warc_record_id} at {ref.path}:{ref.offset} does not match the "
            "SHA-256 taken when it was captured (file altered or truncated)")
    return data


def read_record(ref: WarcRef) -> bytes:
    """The uncompressed record (WARC headers, block and trailing CRLFs)."""
    data = read_record_bytes(ref)
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise WarcRecordError(f"record {ref.warc_record_id} is not a gzip member: {exc}") \
            from None


def warcinfo(path: Path) -> dict[str, str]:
    """The fields of a WARC file's opening warcinfo record (tools, host, operator, exit IP)."""
    from warcio.archiveiterator import ArchiveIterator

    try:
        with open(path, "rb") as handle:
            record = next(iter(ArchiveIterator(handle)), None)
            if record is None or record.rec_type != "warcinfo":
                raise WarcRecordError(f"{path} does not start with a warcinfo record")
            text = record.content_stream().read().decode("utf-8")
    except FileNotFoundError:
        raise WarcRecordError(f"WARC file missing: {path}") from None
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            fields[name] = value
    return fields


def iter_warc_files(refs: Iterable[WarcRef]) -> Iterator[Path]:
    """The distinct WARC files holding `refs` (and their revisits' originals), in order."""
    seen: set[Path] = set()
    for ref in refs:
        for path in (ref.path, ref.original.path if ref.original else None):
            if path is not None and path not in seen:
                seen.add(path)
                yield path

"""The WARC records behind an item: as written at crawl time when the store has them
(`store.warc_index`), otherwise rebuilt from the stored body bytes and headers — never
re-fetched. Rebuilt records say so in a `WARC-Certwatch-Origin` header and in the capture
record."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from reports.evidence.timefmt import as_utc, utc_z
from store.bodies import BodyStore

if TYPE_CHECKING:
    from reports.evidence.collect import PageRecord

ORIGIN_CRAWL = "crawl-time WARC"
ORIGIN_STORE = "rebuilt from stored body"


@dataclass
class WarcMember:
    data: bytes  # one gzip member, copied byte for byte into the packet's WARC
    record_type: str
    target_uri: str
    record_id: str
    captured_at: datetime
    content_type: str | None
    origin: str
    payload_sha256: str | None = None
    ip_address: str | None = None


def warc_members_for_pages(engine: Engine, bodies: BodyStore, listing_id: int,
                           pages: list[PageRecord]) -> tuple[
                               list[WarcMember], list[tuple[str, bytes, datetime]],
                               list[tuple[str, bytes, datetime]]]:
    """(WARC members, screenshots, rendered DOMs) for one listing."""
    try:
        from store import warc_index
    except ImportError:
        warc_index = None
    if warc_index is not None:
        refs = warc_index.captures_for_listing(engine, listing_id)
        if refs:
            return _from_index(warc_index, refs)
    return [m for page in pages for m in rebuild(bodies, page)], [], []


def _from_index(warc_index: Any, refs: list[Any]) -> tuple[
        list[WarcMember], list[tuple[str, bytes, datetime]], list[tuple[str, bytes, datetime]]]:
    members, shots, doms = [], [], []
    for ref in refs:
        data = warc_index.read_record_bytes(ref)
        member = WarcMember(data=data, record_type=ref.record_type, target_uri=ref.target_uri,
                            record_id=ref.warc_record_id, captured_at=as_utc(ref.captured_at),
                            content_type=ref.content_type, origin=ORIGIN_CRAWL,
                            payload_sha256=ref.payload_sha256, ip_address=_ip_address(data))
        members.append(member)
    return members, shots, doms


def _ip_address(member: bytes) -> str | None:
    for record in ArchiveIterator(io.BytesIO(member)):
        return record.rec_headers.get_header("WARC-IP-Address")
    return None


def _member(record_type: str, uri: str, payload: bytes, content_type: str,
            headers: dict[str, str]) -> tuple[bytes, str]:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    record = writer.create_warc_record(uri, record_type, payload=io.BytesIO(payload),
                                       length=len(payload), warc_content_type=content_type,
                                       warc_headers_dict=headers)
    writer.write_record(record)
    return buf.getvalue(), record.rec_headers.get_header("WARC-Record-ID")


def rebuild(bodies: BodyStore, page: PageRecord) -> list[WarcMember]:
    """A `resource` record with the body exactly as stored and a `metadata` record with
    the status and headers Scrapy recorded for it."""
    if page.content_hash is None:
        return []
    body = bodies.get(page.content_hash)
    if hashlib.sha256(body).hexdigest() != page.content_hash:
        raise ValueError(f"stored body {page.content_hash} is corrupt")
    uri = page.final_url or page.url
    content_type = _header(page.headers, "Content-Type") or "application/octet-stream"
    date = utc_z(page.fetched_at)
    common = {"WARC-Date": date, "WARC-Certwatch-Origin": ORIGIN_STORE}
    resource, resource_id = _member("resource", uri, body, content_type, common)
    meta = json.dumps({
        "origin": ORIGIN_STORE, "url": page.url, "final_url": page.final_url,
        "status": page.status, "headers": page.headers, "fetched_at": date,
        "body_sha256": page.content_hash, "encoding": page.encoding, "page_kind": page.kind,
    }, ensure_ascii=False, sort_keys=True).encode("utf-8")
    metadata, metadata_id = _member("metadata", uri, meta, "application/json",
                                    {**common, "WARC-Refers-To": resource_id})
    return [
        WarcMember(resource, "resource", uri, resource_id, page.fetched_at, content_type,
                   ORIGIN_STORE, page.content_hash),
        WarcMember(metadata, "metadata", uri, metadata_id, page.fetched_at, "application/json",
                   ORIGIN_STORE, hashlib.sha256(meta).hexdigest()),
    ]


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) and value else value
    return None

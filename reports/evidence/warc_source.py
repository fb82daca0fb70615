"""The WARC records behind an item: as written at crawl time when the store has them
(`store.warc_index`), otherwise rebuilt from the stored body bytes and headers — never
re-fetched. Rebuilt records say so in a `WARC-Certwatch-Origin` header and in the capture
record."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from reports.evidence.errors import EvidenceError
from reports.evidence.timefmt import utc_z
from store import warc_index
from store.bodies import BodyStore
from store.clock import as_utc

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
    role: str = "page"  # as indexed at capture: page | subresource | screenshot | dom | …


@dataclass
class CrawlWarcs:
    """What the crawl-time WARCs hold for one item."""

    members: list[WarcMember] = field(default_factory=list)
    screenshots: list[tuple[str, bytes, datetime]] = field(default_factory=list)
    doms: list[tuple[str, bytes, datetime]] = field(default_factory=list)
    # warcinfo fields of each WARC file the records came from (capture environment)
    warcinfo: list[dict[str, str]] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)
    # each browser page's settings as recorded at capture (`browser` metadata records)
    browser: list[dict[str, Any]] = field(default_factory=list)
    # User-Agent and Accept-Language of each page's own request record, as sent
    sent_headers: list[dict[str, str]] = field(default_factory=list)


def warc_members_for_pages(engine: Engine, bodies: BodyStore, home: Path, listing_id: int,
                           pages: list[PageRecord]) -> CrawlWarcs:
    """The listing's crawl-time WARC records, or records rebuilt from the stored pages."""
    refs = warc_index.captures_for_listing(engine, listing_id, home=home)
    if refs:
        return from_refs(warc_index, refs)
    return CrawlWarcs(members=[m for page in pages for m in rebuild(bodies, page)])


def from_refs(warc_index: Any, refs: list[Any]) -> CrawlWarcs:
    """Copy each record's gzip member byte for byte; each source WARC's warcinfo first."""
    out = CrawlWarcs()
    seen: set[str] = set()
    infos: dict[Path, tuple[WarcMember, dict[str, str]] | None] = {}
    ordered = []
    for ref in refs:
        for r in (ref.original, ref) if getattr(ref, "original", None) else (ref,):
            if r.warc_record_id not in seen:
                seen.add(r.warc_record_id)
                ordered.append(r)
    for ref in ordered:
        if ref.path not in infos:
            infos[ref.path] = _warcinfo(ref.path)
            if infos[ref.path]:
                member, fields = infos[ref.path]
                out.members.append(member)
                out.warcinfo.append(fields)
        data = warc_index.read_record_bytes(ref)
        role = getattr(ref, "role", "page")
        out.members.append(WarcMember(
            data=data, record_type=ref.record_type, target_uri=ref.target_uri,
            record_id=ref.warc_record_id, captured_at=as_utc(ref.captured_at),
            content_type=ref.content_type, origin=ORIGIN_CRAWL,
            payload_sha256=ref.payload_sha256,
            ip_address=getattr(ref, "ip_address", None) or _ip_address(data), role=role))
        if role in ("screenshot", "dom", "certificate", "browser"):
            payload = _payload(data)
            page = getattr(ref, "url", "") or ref.target_uri
            if role == "screenshot":
                out.screenshots.append((page, payload, as_utc(ref.captured_at)))
            elif role == "dom":
                out.doms.append((page, payload, as_utc(ref.captured_at)))
            elif role == "browser":
                out.browser.append(_json_object(payload))
            else:
                out.certificates.append(_certificate_summary(payload))
        elif role == "page" and ref.record_type == "request":
            out.sent_headers.append({"url": ref.target_uri, **_request_headers(data)})
    return out


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _request_headers(member: bytes) -> dict[str, str]:
    """User-Agent and Accept-Language of a request record, as they were sent."""
    for record in ArchiveIterator(io.BytesIO(member)):
        headers = record.http_headers
        if headers is None:
            return {}
        return {name: value for name in ("User-Agent", "Accept-Language")
                if (value := headers.get_header(name)) is not None}
    return {}


def _warcinfo(path: Path) -> tuple[WarcMember, dict[str, str]] | None:
    """The warcinfo record a WARC file starts with: member bytes and its fields."""
    try:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            record = next(it, None)
            if record is None or record.rec_type != "warcinfo":
                return None
            block = record.content_stream().read()
            it.read_to_end(record)
            fh.seek(it.get_record_offset())
            data = fh.read(it.get_record_length())
    except OSError:
        return None
    fields = {}
    for line in block.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    member = WarcMember(
        data=data, record_type="warcinfo", target_uri="",
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        captured_at=_parse_date(record.rec_headers.get_header("WARC-Date")),
        content_type="application/warc-fields", origin=ORIGIN_CRAWL)
    return member, fields


def _parse_date(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _payload(member: bytes) -> bytes:
    for record in ArchiveIterator(io.BytesIO(member)):
        return record.content_stream().read()
    return b""


def _certificate_summary(payload: bytes) -> str:
    from cryptography import x509

    try:
        cert = (x509.load_pem_x509_certificates(payload)[0] if b"-----BEGIN" in payload
                else x509.load_der_x509_certificate(payload))
    except ValueError:
        return "证书记录（无法解析）"
    return (f"主体 {cert.subject.rfc4514_string()}；签发者 {cert.issuer.rfc4514_string()}；"
            f"有效期 {cert.not_valid_before_utc:%Y-%m-%d} 至 {cert.not_valid_after_utc:%Y-%m-%d}；"
            f"序列号 {cert.serial_number:x}")


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


def build_member(record_type: str, uri: str, payload: bytes, content_type: str,
                 at: datetime, origin: str) -> WarcMember:
    """One new record around bytes kept elsewhere (marked with where they came from)."""
    data, record_id = _member(record_type, uri, payload, content_type,
                              {"WARC-Date": utc_z(at), "WARC-Certwatch-Origin": origin})
    return WarcMember(data, record_type, uri, record_id, at, content_type, origin,
                      hashlib.sha256(payload).hexdigest())


def rebuild(bodies: BodyStore, page: PageRecord) -> list[WarcMember]:
    """A `resource` record with the body exactly as stored and a `metadata` record with
    the status and headers Scrapy recorded for it."""
    if page.content_hash is None:
        return []
    try:
        body = bodies.get(page.content_hash)
    except OSError as exc:
        raise EvidenceError(f"stored body {page.content_hash} of {page.url} is unreadable "
                            f"({exc.strerror}); crawl the page again") from None
    if hashlib.sha256(body).hexdigest() != page.content_hash:
        raise EvidenceError(f"stored body {page.content_hash} of {page.url} is corrupt "
                            "(its SHA-256 differs); crawl the page again")
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

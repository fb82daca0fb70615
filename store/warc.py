"""Rolling WARC files, one gzip member per record, so any record reads back by offset/length.

Files live at `CERTWATCH_HOME/warc/<YYYY-MM-DD>/certwatch-<run>-<source>-<pid>-NNNNN.warc.gz`;
each starts with a warcinfo record describing the capturing environment. A record is built
in memory, compressed as its own gzip member and appended with one write, then flushed: a
process killed mid-write leaves at most a truncated last member, every earlier one intact.
Not thread-safe: one writer thread owns an archive.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import BufferWARCWriter

WARC_VERSION = "WARC/1.1"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# Fast compression: the capture must not slow the crawl; size matters less than throughput.
GZIP_LEVEL = 1
DEFAULT_ROLL_BYTES = 1 << 30


class _Sha256Writer(BufferWARCWriter):
    """warcio's record builder with SHA-256 block and payload digests (it defaults to SHA-1)."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


class _RawHeaders(StatusAndHeaders):
    """Header bytes as received: warcio would %-encode non-ASCII values (GBK, UTF-8 names)."""

    def compute_headers_buffer(self, header_filter=None) -> None:  # noqa: ANN001
        try:  # Scrapy's bytes were decoded as latin-1, so this gives them back exactly
            self.headers_buff = self.to_bytes(header_filter, encoding="latin-1")
        except UnicodeEncodeError:  # Playwright hands over text already decoded
            self.headers_buff = self.to_bytes(header_filter, encoding="utf-8")


def warc_digest(data: bytes) -> str:
    """The `WARC-*-Digest` form of SHA-256 (base32, as warcio writes and checks it)."""
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date: UTC with microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def gzip_member(data: bytes) -> bytes:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(data) + compressor.flush()


@dataclass(frozen=True)
class HttpMessage:
    """An HTTP message head as Scrapy or Playwright saw it, plus its body."""

    start_line: str  # "GET http://h/p HTTP/1.1" or "200 OK"
    headers: list[tuple[str, str]]
    body: bytes = b""
    protocol: str = "HTTP/1.1"  # for responses; requests carry it in the start line


@dataclass(frozen=True)
class WrittenRecord:
    path: Path
    offset: int
    length: int
    record_id: str
    record_type: str
    target_uri: str
    date: str
    record_sha256: str


class WarcArchive:
    """Appends records to rolling `.warc.gz` files under `root`."""

    def __init__(self, root: Path, *, run: int | str, source: str,
                 info: dict[str, str], roll_bytes: int = DEFAULT_ROLL_BYTES) -> None:
        self.root = root
        self.run = run
        self.source = source
        self.info = info
        self.roll_bytes = roll_bytes
        self._builder = _Sha256Writer(gzip=False, warc_version=WARC_VERSION)
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._serial = 0
        self.files: list[Path] = []

    # -- files -----------------------------------------------------------------------------
    def _open_next(self) -> None:
        self.close()
        self._serial += 1
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        name = f"certwatch-{self.run}-{self.source}-{os.getpid()}-{self._serial:05d}.warc.gz"
        path = self.root / day / name
        path.parent.mkdir(parents=True, exist_ok=True)
        # "xb": never append to (or clobber) another process's file.
        self._file = open(path, "xb")  # noqa: SIM115 - held open across records
        self._path = path
        self.files.append(path)
        record = self._builder.create_warcinfo_record(name, self.info)
        self._append(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _ensure_file(self) -> None:
        if self._file is None or self._file.tell() >= self.roll_bytes:
            self._open_next()

    def _append(self, record) -> WrittenRecord:  # noqa: ANN001 - warcio ArcWarcRecord
        buffer = io.BytesIO()
        self._builder._write_warc_record(buffer, record)
        member = gzip_member(buffer.getvalue())
        assert self._file is not None and self._path is not None
        offset = self._file.tell()
        self._file.write(member)
        self._file.flush()
        headers = record.rec_headers
        return WrittenRecord(
            path=self._path, offset=offset, length=len(member),
            record_id=headers.get_header("WARC-Record-ID"), record_type=record.rec_type,
            target_uri=headers.get_header("WARC-Target-URI") or "",
            date=headers.get_header("WARC-Date"),
            record_sha256=hashlib.sha256(member).hexdigest())

    # -- records ---------------------------------------------------------------------------
    def _headers(self, uri: str, date: datetime, extra: dict[str, str]) -> dict[str, str]:
        return {"WARC-Target-URI": uri, "WARC-Date": warc_date(date), **extra}

    def write_response(self, uri: str, response: HttpMessage, *, date: datetime,
                       ip_address: str | None = None,
                       extra: dict[str, str] | None = None) -> WrittenRecord:
        self._ensure_file()
        headers = self._headers(uri, date, extra or {})
        if ip_address:
            headers["WARC-IP-Address"] = ip_address
        http = _RawHeaders(response.start_line, response.headers,
                                protocol=response.protocol)
        record = self._builder.create_warc_record(
            uri, "response", payload=io.BytesIO(response.body), length=len(response.body),
            http_headers=http, warc_headers_dict=headers)
        return self._append(record)

    def write_revisit(self, uri: str, response: HttpMessage, *, date: datetime,
                      refers_to: str, refers_to_uri: str, refers_to_date: str,
                      ip_address: str | None = None) -> WrittenRecord:
        """Headers only; the payload is the identical one in record `refers_to`."""
        self._ensure_file()
        headers = self._headers(uri, date, {"WARC-Refers-To": refers_to})
        if ip_address:
            headers["WARC-IP-Address"] = ip_address
        http = _RawHeaders(response.start_line, response.headers,
                                protocol=response.protocol)
        record = self._builder.create_revisit_record(
            uri, warc_digest(response.body), refers_to_uri, refers_to_date,
            http_headers=http, warc_headers_dict=headers)
        return self._append(record)

    def write_request(self, uri: str, request: HttpMessage, *, date: datetime,
                      concurrent_to: str) -> WrittenRecord:
        self._ensure_file()
        headers = self._headers(uri, date, {"WARC-Concurrent-To": concurrent_to})
        http = _RawHeaders(request.start_line, request.headers, protocol="")
        record = self._builder.create_warc_record(
            uri, "request", payload=io.BytesIO(request.body), length=len(request.body),
            http_headers=http, warc_headers_dict=headers)
        return self._append(record)

    def write_blob(self, record_type: str, uri: str, data: bytes, content_type: str, *,
                   date: datetime, concurrent_to: str | None = None,
                   extra: dict[str, str] | None = None) -> WrittenRecord:
        """A `resource` (screenshot, DOM) or `metadata` (TLS certificate) record."""
        self._ensure_file()
        headers = self._headers(uri, date, extra or {})
        if concurrent_to:
            headers["WARC-Concurrent-To"] = concurrent_to
        record = self._builder.create_warc_record(
            uri, record_type, payload=io.BytesIO(data), length=len(data),
            warc_content_type=content_type, warc_headers_dict=headers)
        return self._append(record)

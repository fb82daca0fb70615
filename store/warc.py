"""Rolling WARC/1.1 files, one gzip member per record, so any record reads back by offset/length.

Files live at `CERTWATCH_HOME/warc/<YYYY-MM-DD>/certwatch-<run>-<source>-<pid>-NNNNN.warc.gz`;
each starts with a warcinfo record describing the capturing environment. A record is built
in memory, compressed as its own gzip member and appended with one write, then flushed: a
process killed mid-write leaves at most a truncated last member, every earlier one intact.
A write that fails (disk full, I/O error) ends the file the same way: the next record starts
a new file, so offsets handed out are always right.

Records are serialised here rather than through warcio's record builder, which costs about
twice as much CPU per record inside the crawling process; warcio reads and checks what is
written (`warcio check -v`, `warcio index`, `ArchiveIterator` in the tests and the index).
Block and payload digests are SHA-256 in hex. Header bytes are kept as received (no %-encoding of
non-ASCII values). Not thread-safe: one writer thread owns an archive.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

WARC_VERSION = "WARC/1.1"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# Fast compression: the capture must not slow the crawl; size matters less than throughput.
GZIP_LEVEL = 1
DEFAULT_ROLL_BYTES = 1 << 30


def warc_digest(data: bytes | None = None, *, raw: bytes | None = None) -> str:
    """The `WARC-*-Digest` form of SHA-256: hex (base16, which the WARC standard and warcio
    accept, as Browsertrix writes it), so it reads the same as the index and `sha256sum`."""
    digest = raw if raw is not None else hashlib.sha256(data or b"").digest()
    return "sha256:" + digest.hex()


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date: UTC with microseconds (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Setting up zlib's default hash tables (memLevel 8) cost more than compressing a request
# record or a small page; a smaller table is as good for them (sizes within 1 %).
SMALL_RECORD = 32 << 10
SMALL_MEM_LEVEL = 5


def gzip_member(data: bytes) -> bytes:
    memory = SMALL_MEM_LEVEL if len(data) < SMALL_RECORD else zlib.DEF_MEM_LEVEL
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16, memory)
    return compressor.compress(data) + compressor.flush()


def _text(value: str) -> bytes:
    try:  # Scrapy's header bytes were decoded as latin-1: this gives them back exactly
        return value.encode("latin-1")
    except UnicodeEncodeError:  # Playwright hands over text already decoded
        return value.encode("utf-8")


@dataclass(frozen=True)
class HttpMessage:
    """An HTTP message head as Scrapy or Playwright saw it, plus its body."""

    start_line: str  # "GET http://h/p HTTP/1.1" or "200 OK"
    headers: list[tuple[str, str]]
    body: bytes = b""
    protocol: str = ""  # responses: "HTTP/1.1"; requests carry it in the start line

    def head(self) -> bytes:
        first = f"{self.protocol} {self.start_line}" if self.protocol else self.start_line
        lines = [first, *(f"{name}: {value}" for name, value in self.headers)]
        return _text("\r\n".join(lines) + "\r\n\r\n")


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
    payload_sha256: str | None


class WarcArchive:
    """Appends records to rolling `.warc.gz` files under `root`."""

    def __init__(self, root: Path, *, run: int | str, source: str,
                 info: dict[str, str], roll_bytes: int = DEFAULT_ROLL_BYTES) -> None:
        self.root = root
        self.run = run
        self.source = source
        self.info = info
        self.roll_bytes = roll_bytes
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._serial = 0
        self._offset = 0
        self.files: list[Path] = []

    # -- files -----------------------------------------------------------------------------
    def _open_next(self) -> None:
        self.close()
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        (self.root / day).mkdir(parents=True, exist_ok=True)
        while True:
            self._serial += 1
            name = f"certwatch-{self.run}-{self.source}-{os.getpid()}-{self._serial:05d}.warc.gz"
            path = self.root / day / name
            try:
                # "xb": never append to (or clobber) another file. The same name can exist
                # when a store was recreated (run ids restart) in a process with the same pid.
                self._file = open(path, "xb")  # noqa: SIM115 - held open across records
                break
            except FileExistsError:
                continue
        self._offset = 0  # tracked here: tell() on a flushed file is a system call
        self._path = path
        self.files.append(path)
        fields = "".join(f"{k}: {v}\r\n" for k, v in self.info.items() if v)
        self._record("warcinfo", "", fields.encode("utf-8"), datetime.now(UTC),
                     content_type="application/warc-fields", extra=[("WARC-Filename", name)],
                     payload_digest=False)

    def close(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            file.close()

    def _abandon(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):  # flushing again may fail: the file is done
                file.close()

    @property
    def current(self) -> Path | None:
        return self._path

    # -- the one serialiser ----------------------------------------------------------------
    def _record(self, record_type: str, uri: str, block: bytes, date: datetime, *,
                content_type: str, extra: list[tuple[str, str]] = (),
                payload: bytes | None = None, payload_digest: bool = True,
                payload_sha: bytes | None = None) -> WrittenRecord:
        """Write one record; `payload` is the part of `block` after the HTTP head, if any."""
        if record_type != "warcinfo" and (self._file is None
                                          or self._offset >= self.roll_bytes):
            self._open_next()
        assert self._file is not None and self._path is not None
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        stamp = warc_date(date)
        headers = [("WARC-Type", record_type), ("WARC-Record-ID", record_id),
                   ("WARC-Date", stamp)]
        if uri:
            headers.append(("WARC-Target-URI", uri))
        headers.extend(extra)
        headers.append(("Content-Type", content_type))
        payload_hex = None
        if payload_digest:
            raw = payload_sha or hashlib.sha256(block if payload is None else payload).digest()
            payload_hex = raw.hex()
            headers.append(("WARC-Payload-Digest", warc_digest(raw=raw)))
        headers.append(("WARC-Block-Digest", warc_digest(block)))
        headers.append(("Content-Length", str(len(block))))
        envelope = (WARC_VERSION + "\r\n"
                    + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("utf-8")
        member = gzip_member(envelope + block + b"\r\n\r\n")
        offset = self._offset
        try:
            self._file.write(member)
            self._file.flush()
        except BaseException:
            # Part of the member may be on disk, so this file's offsets are unknown from here:
            # leave it torn (readable up to the tear) and start the next record in a new file.
            self._abandon()
            raise
        self._offset += len(member)
        return WrittenRecord(
            path=self._path, offset=offset, length=len(member), record_id=record_id,
            record_type=record_type, target_uri=uri, date=stamp,
            record_sha256=hashlib.sha256(member).hexdigest(), payload_sha256=payload_hex)

    # -- records ---------------------------------------------------------------------------
    def write_response(self, uri: str, response: HttpMessage, *, date: datetime,
                       ip_address: str | None = None,
                       payload_sha: bytes | None = None) -> WrittenRecord:
        extra = [("WARC-IP-Address", ip_address)] if ip_address else []
        return self._record("response", uri, response.head() + response.body, date,
                            content_type="application/http; msgtype=response", extra=extra,
                            payload=response.body, payload_sha=payload_sha)

    def write_revisit(self, uri: str, response: HttpMessage, *, date: datetime,
                      refers_to: str, refers_to_uri: str, refers_to_date: str,
                      ip_address: str | None = None,
                      payload_sha: bytes | None = None) -> WrittenRecord:
        """HTTP head only; the identical payload is in record `refers_to`."""
        extra = [("WARC-IP-Address", ip_address)] if ip_address else []
        extra += [("WARC-Profile", REVISIT_PROFILE), ("WARC-Refers-To", refers_to),
                  ("WARC-Refers-To-Target-URI", refers_to_uri),
                  ("WARC-Refers-To-Date", refers_to_date)]
        return self._record("revisit", uri, response.head(), date,
                            content_type="application/http; msgtype=response", extra=extra,
                            payload=response.body, payload_sha=payload_sha)

    def write_request(self, uri: str, request: HttpMessage, *, date: datetime,
                      concurrent_to: str) -> WrittenRecord:
        return self._record("request", uri, request.head() + request.body, date,
                            content_type="application/http; msgtype=request",
                            extra=[("WARC-Concurrent-To", concurrent_to)],
                            payload=request.body)

    def write_blob(self, record_type: str, uri: str, data: bytes, content_type: str, *,
                   date: datetime, concurrent_to: str | None = None) -> WrittenRecord:
        """A `resource` (screenshot, DOM) or `metadata` (TLS certificate, browser settings)
        record."""
        extra = [("WARC-Concurrent-To", concurrent_to)] if concurrent_to else []
        return self._record(record_type, uri, data, date, content_type=content_type,
                            extra=extra)

"""The `warc_records` table as the WARC writer uses it, through the plain DB-API driver.

The writer runs in its own process (`store.warc_process`) for every crawl; importing
SQLAlchemy and the ORM models took it a second of CPU before the first record, longer than
a small crawl. It needs two statements, so it speaks to sqlite3 or psycopg directly, with the
same connection settings as `store.db` and the values SQLAlchemy would bind (SQLite keeps
`DateTime` as "YYYY-MM-DD HH:MM:SS.ffffff" text). `tests/test_warc_index_db.py` checks the
column list against the model and reads the rows back through the ORM.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any
from urllib.parse import unquote

# Every column of `store.evidence_models.WarcRecordRow` but the key, in insert order.
COLUMNS = (
    "run_id", "source", "capture_id", "page_kind", "role", "page_url", "url",
    "page_url_sha256", "url_sha256", "target_uri", "listing_key", "referrer", "record_type",
    "warc_record_id", "concurrent_to", "refers_to", "path", "offset", "length",
    "payload_sha256", "record_sha256", "captured_at", "content_type", "http_status",
    "ip_address",
)
BUSY_TIMEOUT = 30.0  # seconds a write waits for another writer of the same SQLite file
_IN_CHUNK = 500  # digests per lookup: well under every driver's parameter limit
_SQLITE_URL = re.compile(r"sqlite(\+\w+)?://(?P<path>/[^?]*)?(\?.*)?\Z")


def url_digest(url: str) -> str:
    """What URLs are indexed and looked up by: a btree entry on PostgreSQL must stay under
    ~2.7 KB, and captured URLs (tracking query strings, data: links) can be far longer."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


class IndexDatabase:
    """Looks up earlier copies of payloads and inserts index rows, one transaction a batch."""

    def __init__(self, db_url: str) -> None:
        match = _SQLITE_URL.match(db_url)
        if match is not None:
            path = unquote((match.group("path") or "/")[1:])
            if not path or path == ":memory:":
                raise ValueError("the WARC index needs a database file, not an in-memory one")
            self.sqlite = True
            self._conn = _sqlite(path)
            mark = "?"
        elif db_url.startswith(("postgresql:", "postgresql+", "postgres:")):
            import psycopg

            self.sqlite = False
            self._conn = psycopg.connect(re.sub(r"^postgres(ql)?(\+\w+)?:", "postgresql:",
                                                db_url), connect_timeout=5)
            mark = "%s"
        else:
            raise ValueError(f"unsupported database for the WARC index: {db_url.split(':')[0]}")
        names = ", ".join(f'"{c}"' for c in COLUMNS)
        self._insert = (f"INSERT INTO warc_records ({names}) "
                        f"VALUES ({', '.join(mark for _ in COLUMNS)})")
        self._mark = mark

    def originals(self, digests: list[str]) -> list[tuple[str, str, str, datetime]]:
        """(payload digest, record id, target URI, capture time) of archived responses."""
        found: list[tuple[str, str, str, datetime]] = []
        for start in range(0, len(digests), _IN_CHUNK):
            chunk = digests[start:start + _IN_CHUNK]
            marks = ", ".join(self._mark for _ in chunk)
            rows = self._conn.execute(
                "SELECT payload_sha256, warc_record_id, target_uri, captured_at "
                f"FROM warc_records WHERE payload_sha256 IN ({marks}) "
                "AND record_type = 'response' ORDER BY id", chunk).fetchall()
            self._conn.commit()  # end the read transaction: SQLite's WAL could not checkpoint
            found.extend((d, r, u, _moment(at)) for d, r, u, at in rows)
        return found

    def insert(self, rows: list[dict[str, Any]]) -> None:
        values = [tuple(self._bind(row[c]) for c in COLUMNS) for row in rows]
        try:
            cursor = self._conn.cursor()
            cursor.executemany(self._insert, values)
            self._conn.commit()
        except BaseException:
            self._conn.rollback()
            raise

    def _bind(self, value: Any) -> Any:
        if self.sqlite and isinstance(value, datetime):
            # As SQLAlchemy's SQLite DATETIME stores it: the fields as given, no zone.
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def close(self) -> None:
        self._conn.close()


def _sqlite(path: str):  # noqa: ANN202 - sqlite3.Connection
    import sqlite3

    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, check_same_thread=False)
    # store.db's settings: WAL so the UI reads while crawls write, NORMAL durable at commit.
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                   f"busy_timeout={int(BUSY_TIMEOUT * 1000)}"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)

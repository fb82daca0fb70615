"""The append-only, hash-chained audit log: every action, who, when, before and after.

Each entry's hash covers the previous entry's hash and its own content, so an edit or a
deletion anywhere breaks every later link; `certwatch audit verify` walks the chain.
Triggers in the database refuse UPDATE and DELETE outright (migration 0004).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.clock import as_utc, utcnow
from store.review_models import GENESIS_HASH, AuditEntry

# One chain writer at a time, held until the entry's transaction ends: reading the previous
# hash and committing must not interleave (UNIQUE(prev_hash) would refuse the fork). A lock
# taken per append and released before commit does not do that, and deadlocks against the
# database's own lock when one transaction appends several entries (a bulk decision).
_PG_LOCK_KEY = 0x63657274  # "cert"


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def entry_hash(prev_hash: str, at: datetime, actor: str, action: str, object_kind: str,
               object_id: str, before: Any, after: Any, client: str) -> str:
    stamp = as_utc(at).isoformat(timespec="microseconds")
    payload = _canonical([prev_hash, stamp, actor, action, object_kind, object_id, before,
                          after, client])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(session: Session, *, actor: str, action: str, object_kind: str = "",
           object_id: str | int = "", before: dict | None = None, after: dict | None = None,
           client: str = "") -> AuditEntry:
    """Add an entry to `session`'s transaction (committed with the change it records)."""
    lock_chain(session)
    fields = {"actor": actor, "action": action, "object_kind": object_kind,
              "object_id": str(object_id), "before": _jsonable(before),
              "after": _jsonable(after), "client": client[:64]}
    try:
        return _link(session, fields)
    except IntegrityError:
        # Lost the race to a writer outside the lock (e.g. an older server still running):
        # the savepoint undid only this entry, so re-read the head once and link again.
        return _link(session, fields)


def _link(session: Session, fields: dict) -> AuditEntry:
    prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev = prev or GENESIS_HASH
    at = utcnow()
    entry = AuditEntry(at=at, prev_hash=prev, hash=entry_hash(prev, at, **fields), **fields)
    with session.begin_nested():
        session.add(entry)
    return entry


def lock_chain(session: Session) -> None:
    """Serialise chain writers until this transaction commits or rolls back.

    Call it before reading what the entry will record (decisions read the case first), so
    that two requests cannot both decide from the same old state."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Held to the end of the transaction, across every server process.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        # pysqlite opens its transaction lazily at the first write, so the previous hash
        # would be read outside it; take SQLite's write lock first (other writers wait on
        # busy_timeout). A transaction that has already written holds that lock anyway.
        raw = conn.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _jsonable(value: dict | None) -> dict | None:
    return None if value is None else json.loads(_canonical(value))


@dataclass(frozen=True)
class Verification:
    entries: int
    broken_at: int | None  # id of the first entry that does not verify
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(engine: Engine) -> Verification:
    prev, count = GENESIS_HASH, 0
    for entry in _entries(engine):
        if entry.prev_hash != prev:
            return Verification(count, entry.id, "链接断开：上一条的哈希不符")
        expected = entry_hash(entry.prev_hash, entry.at, entry.actor, entry.action,
                              entry.object_kind, entry.object_id, entry.before, entry.after,
                              entry.client)
        if expected != entry.hash:
            return Verification(count, entry.id, "内容已被改动：哈希不符")
        prev, count = entry.hash, count + 1
    return Verification(count, None)


def _entries(engine: Engine) -> Iterator[AuditEntry]:
    with Session(engine) as session:
        yield from session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000)

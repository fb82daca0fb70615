"""The append-only, hash-chained audit log: every action, who, when, before and after.

Each entry's hash covers the previous entry's hash and its own content, so an edit or a
deletion anywhere breaks every later link; `certwatch audit verify` walks the chain.
Triggers in the database refuse UPDATE and DELETE outright (migration 0004).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from store.clock import as_utc, utcnow
from store.review_models import GENESIS_HASH, AuditEntry

# One writer at a time inside this process; PostgreSQL also takes an advisory lock so that
# several server processes cannot fork the chain (UNIQUE(prev_hash) would refuse it anyway).
_LOCK = threading.Lock()
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
    with _LOCK:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
        prev = prev or GENESIS_HASH
        at = utcnow()
        before, after = _jsonable(before), _jsonable(after)
        entry = AuditEntry(at=at, actor=actor, action=action, object_kind=object_kind,
                           object_id=str(object_id), before=before, after=after,
                           client=client[:64], prev_hash=prev,
                           hash=entry_hash(prev, at, actor, action, object_kind,
                                           str(object_id), before, after, client[:64]))
        session.add(entry)
        session.flush()
        return entry


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

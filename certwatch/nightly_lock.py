"""Only one nightly at a time: a file lock under CERTWATCH_HOME, and on PostgreSQL an advisory
lock too, so nightlies started on two machines against one database also exclude each other.

Both locks die with their holder (the kernel drops the flock, the server drops the session), so
a killed nightly never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from certwatch.errors import UserError
from store.clock import iso, utcnow

# pg_advisory_lock takes a bigint; this one is "certwatch nightly" by convention.
ADVISORY_KEY = 0x63657274_6E6974


class NightlyBusy(UserError):
    """Another nightly holds the lock."""


@contextlib.contextmanager
def nightly_lock(home: Path, engine: Engine) -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "nightly.lock"
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown process"
            raise NightlyBusy(f"another nightly is already running ({holder}; lock {path}); "
                              "not starting a second one") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()} since {iso(utcnow())}")
        fh.flush()
        with _advisory_lock(engine):
            yield
    finally:
        fh.close()


@contextlib.contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name != "postgresql":
        yield
        return
    conn = engine.connect()
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
        conn.commit()
        if not got:
            raise NightlyBusy("another nightly is already running against this database "
                              "(PostgreSQL advisory lock held by another host or process); "
                              "not starting a second one")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            conn.commit()
    finally:
        conn.close()

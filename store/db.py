"""Engine creation, schema migration and the friendly failure when the database is away."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import threading
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from store.errors import StoreUnavailable

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x63657274_6D6967  # pg_advisory_lock key: "cert" "mig"


def redact(db_url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API connection
    cur = dbapi_conn.cursor()
    # WAL lets the review UI read while a crawl writes; NORMAL is durable at commit in WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(db_url: str) -> Engine:
    """Create an engine and prove the database answers, or raise `StoreUnavailable`."""
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise StoreUnavailable(f"invalid database URL {db_url!r}: {exc}") from None
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict = {}
    if url.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(url, **kwargs)
    except Exception as exc:  # missing driver, bad options
        raise StoreUnavailable(f"cannot open database {redact(db_url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreUnavailable(
            f"cannot reach database {redact(db_url)}: {reason} "
            "(check CERTWATCH_DB_URL and that the server is running)"
        ) from None
    return engine


@functools.cache
def write_lock(db_url: str) -> threading.Lock:
    """One write transaction at a time per database, across the writer threads of a process."""
    return threading.Lock()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to `revision` (idempotent; "heads": every branch of migrations)."""
    command.upgrade(_alembic_config(engine), revision)


def needs_upgrade(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(_alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return set(current) != set(script.get_heads())


def open_store(db_url: str) -> Engine:
    """Engine with the schema at head: what every command that touches data wants."""
    engine = make_engine(db_url)
    if needs_upgrade(engine):
        with _migration_lock(engine):
            if needs_upgrade(engine):  # another process may have just done it
                upgrade(engine)
    return engine


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations of processes starting together (distributed crawl workers)."""
    if engine.dialect.name == "sqlite":
        with _sqlite_migration_lock(engine.url.database):
            yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})


@contextlib.contextmanager
def _sqlite_migration_lock(database: str | None) -> Iterator[None]:
    """An exclusive flock on `<db file>.migrate.lock`; in-memory databases have no rivals."""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file closes
        yield

"""Alembic environment: runs against the engine handed over in `config.attributes`."""

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

import store.evidence_models  # noqa: F401 - registers warc_records
import store.review_models  # noqa: F401  (review UI tables)
from store import (
    lookalike_models,  # noqa: F401  (registers the lookalike tables)
    nightly_models,  # noqa: F401  (registers the nightly tables)
)
from store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # plain `alembic` CLI use: take the URL from alembic.ini / -x
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    if engine.dialect.name == "sqlite":
        _run_sqlite(engine)
        return
    with engine.begin() as connection:
        _run(connection)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()


def _run_sqlite(engine: Engine) -> None:
    """All pending migrations in one SQLite transaction: all applied, or none.

    Python's sqlite3 module commits before DDL on its own, so a failure half-way would leave
    tables without their version row; with the driver in autocommit we issue BEGIN ourselves.
    IMMEDIATE takes the write lock up front, so a second process waits instead of interleaving.
    """
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _run(connection)
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")

run_migrations_online()

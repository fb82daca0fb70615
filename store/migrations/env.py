"""Alembic environment: runs against the engine handed over in `config.attributes`."""

from alembic import context
from sqlalchemy import create_engine

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
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations_online()

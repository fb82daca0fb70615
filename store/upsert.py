"""INSERT … ON CONFLICT DO NOTHING for the two dialects certwatch runs on.

Distributed crawl workers write the same tables at once; a row another worker inserted a
moment earlier must be adopted, not crash the batch with a unique-constraint error.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def insert_ignoring(session: Session, model: type, conflict_columns: Sequence[str]) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - make_engine only hands out these two
        raise NotImplementedError(f"no ON CONFLICT support for {dialect}")
    return insert(model).on_conflict_do_nothing(index_elements=list(conflict_columns))

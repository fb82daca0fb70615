"""listing search index: FTS5 trigram (SQLite), pg_trgm GIN (PostgreSQL)

The review queue searches listings by substring (Chinese has no word boundaries). SQLite:
an external-content FTS5 table with the trigram tokenizer (SQLite >= 3.34), kept in step by
triggers; the queue asks it for words of 3+ characters and still checks LIKE on what it
returns, so results stay exactly LIKE's. PostgreSQL: trigram GIN indexes, which the planner
uses for LIKE '%...%' by itself. Without trigram support (old SQLite, no FTS5, pg_trgm not
installable) nothing is created and the queue keeps scanning with LIKE.

Revision ID: 0007_listing_search
Revises: 0004_review

On the review branch (the queue's own indexes are there), not a merge of every head: the
other branches are walked one at a time (test_lookalike_store downgrades its own branch by
one step, which a merge above it makes ambiguous).
"""
import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

revision: str = "0007_listing_search"
down_revision: str | None = "0004_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)

SQLITE_UP = (
    "CREATE VIRTUAL TABLE listings_fts USING fts5(title, text, content='listings', "
    "content_rowid='id', tokenize='trigram')",
    # Only title and text changes touch the index: crawls update last_seen and scores often.
    "CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN "
    "INSERT INTO listings_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER listings_fts_update AFTER UPDATE OF title, text ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO listings_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = ("DROP TRIGGER IF EXISTS listings_fts_insert",
               "DROP TRIGGER IF EXISTS listings_fts_delete",
               "DROP TRIGGER IF EXISTS listings_fts_update",
               "DROP TABLE IF EXISTS listings_fts")
PG_INDEXES = {"ix_listings_title_trgm": "title", "ix_listings_text_trgm": "text"}


def _sqlite_trigram(bind: Connection) -> bool:
    """FTS5 compiled in and new enough for the trigram tokenizer (3.34)."""
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.certwatch_trigram_probe "
                             "USING fts5(x, tokenize='trigram')")
    except DBAPIError:
        return False
    bind.exec_driver_sql("DROP TABLE temp.certwatch_trigram_probe")
    return True


def _pg_trgm(bind: Connection) -> bool:
    if not bind.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").scalar():
        return False
    try:
        with bind.begin_nested():  # a refusal must not abort the migration's transaction
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:  # needs CREATE on the database (or a superuser)
        log.warning("pg_trgm not installed (%s): listing search stays a scan",
                    str(exc.orig).strip().splitlines()[0] if exc.orig else exc)
        return False
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        if not _sqlite_trigram(bind):
            log.warning("SQLite without FTS5 trigram (needs 3.34): listing search stays a scan")
            return
        for statement in SQLITE_UP:
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql" and _pg_trgm(bind):
        for name, column in PG_INDEXES.items():
            bind.exec_driver_sql(f"CREATE INDEX {name} ON listings "
                                 f"USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql":
        for name in PG_INDEXES:
            bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")

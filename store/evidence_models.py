"""Index of WARC records captured at crawl time: where each record lives and what it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base
from store.warc_index_db import url_digest


def _digest_of(column: str) -> Callable[[DefaultExecutionContext], str]:
    """A column default: the digest of another column of the row being inserted."""
    def default(context: DefaultExecutionContext) -> str:
        return url_digest(context.get_current_parameters()[column])
    return default


class WarcRecordRow(Base):
    """One record in a `.warc.gz` file, readable alone at (`path`, `offset`, `length`).

    Records of one page capture share `capture_id` (request, response or revisit, TLS
    certificate, and for browser pages every network exchange, the screenshot and the DOM).
    `page_url` + `run_id` is the `fetched_pages` row (`url`, `run_id`) the capture belongs to;
    `listing_key` the listing whose detail page it is; `referrer` the list page that led there.
    No foreign keys: the index outlives pruned runs and stays independent of other tables.
    """

    __tablename__ = "warc_records"
    __table_args__ = (
        Index("ix_warc_records_source_key", "source", "listing_key"),
        Index("ix_warc_records_run_page", "run_id", "page_url_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(Integer)  # indexed with page_url
    source: Mapped[str] = mapped_column(String(100))
    capture_id: Mapped[str] = mapped_column(String(36), index=True)
    # page role: list | follow | detail | robots | "" ; record role within the capture:
    # page | subresource | certificate | screenshot | dom | browser (settings it ran with)
    page_kind: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[str] = mapped_column(String(20), default="page")
    page_url: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    # url_digest() of the two URLs above, filled in on insert: the indexed lookup keys.
    page_url_sha256: Mapped[str] = mapped_column(String(64), index=True,
                                                 default=_digest_of("page_url"))
    url_sha256: Mapped[str] = mapped_column(String(64), index=True, default=_digest_of("url"))
    target_uri: Mapped[str] = mapped_column(Text)
    listing_key: Mapped[str | None] = mapped_column(String(500))
    referrer: Mapped[str | None] = mapped_column(Text)
    record_type: Mapped[str] = mapped_column(String(20))
    warc_record_id: Mapped[str] = mapped_column(String(64), unique=True)
    concurrent_to: Mapped[str | None] = mapped_column(String(64))
    refers_to: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)  # relative to CERTWATCH_HOME
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    payload_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    record_sha256: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime]
    content_type: Mapped[str | None] = mapped_column(String(200))
    http_status: Mapped[int | None] = mapped_column(Integer)
    ip_address: Mapped[str | None] = mapped_column(String(64))

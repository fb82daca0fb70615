"""Typed SQLAlchemy 2.0 models: sources, crawl runs, fetched pages, listings and their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON,
                           datetime: DateTime(timezone=True)}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    platform: Mapped[str] = mapped_column(String(50), default="")
    config_hash: Mapped[str] = mapped_column(String(64), default="")


class CrawlRun(Base):
    """One crawl of one source; `batch` groups the runs of one invocation (one night)."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(40), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    night: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | finished | interrupted | failed
    status: Mapped[str] = mapped_column(String(20), default="running")
    # Why the spider closed (Scrapy's reason) and whether every list page was covered,
    # which decides whether unseen listings may be marked removed.
    close_reason: Mapped[str | None] = mapped_column(String(100))
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(255))
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)

    source: Mapped[Source] = relationship()


class FetchedPage(Base):
    """One HTTP exchange (or failed attempt); the body lives on disk under its SHA-256."""

    __tablename__ = "fetched_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fetched_at: Mapped[datetime]
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    # page role in the source config: list | detail | browser-list | ...
    kind: Mapped[str] = mapped_column(String(20), default="")
    encoding: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)


class Listing(Base):
    """Current state of one ad; `ListingVersion` keeps every distinct content it had."""

    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_listing_source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    key: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    posted: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    page_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    first_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    removed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    removed_at: Mapped[datetime | None]
    # The classifier's verdict on the current version (None until scored).
    label: Mapped[str | None] = mapped_column(String(20), index=True)
    score: Mapped[float | None] = mapped_column(Float, index=True)
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(40))

    source: Mapped[Source] = relationship()
    versions: Mapped[list[ListingVersion]] = relationship(
        back_populates="listing", order_by="ListingVersion.version"
    )


class ListingVersion(Base):
    __tablename__ = "listing_versions"
    __table_args__ = (UniqueConstraint("listing_id", "version", name="uq_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    seen_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    posted: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    page_hash: Mapped[str | None] = mapped_column(String(64))

    listing: Mapped[Listing] = relationship(back_populates="versions")


class ListingEvent(Base):
    """What a run observed about a listing: new, changed, removed or reappeared."""

    __tablename__ = "listing_events"
    __table_args__ = (Index("ix_event_run_kind", "run_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class Contact(Base):
    """One phone / WeChat / QQ, normalised so the same intermediary is one row."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))
    first_seen: Mapped[datetime]


class ListingContact(Base):
    __tablename__ = "listing_contacts"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), primary_key=True,
                                            index=True)
    first_seen: Mapped[datetime]


class Review(Base):
    """An analyst's decision on a listing; `certwatch train --with-reviews` learns from them."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    label: Mapped[str] = mapped_column(String(20))
    analyst: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime]

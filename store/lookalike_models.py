"""Lookalike hunting: candidate domains, browser captures of them, and verdicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class LookalikeCandidate(Base):
    """A domain that may imitate an official query site; one row per domain, ever."""

    __tablename__ = "lookalike_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    # Where it was first found: permutation | feed | listing | manual (check-domain --fetch).
    origin: Mapped[str] = mapped_column(String(40))
    origin_detail: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    # The offline name analysis at last sight.
    name_label: Mapped[str] = mapped_column(String(20), index=True)
    name_score: Mapped[float] = mapped_column(Float)
    name_imitates: Mapped[str | None] = mapped_column(String(255))
    name_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Resolution at last sight (None: not tried).
    resolves: Mapped[bool | None] = mapped_column(Boolean)
    addresses: Mapped[list[Any]] = mapped_column(JSON, default=list)


class LookalikeCapture(Base):
    """One browser visit: the landing page, the query page and the canary probe."""

    __tablename__ = "lookalike_captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("lookalike_candidates.id"), index=True)
    captured_at: Mapped[datetime]
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    directory: Mapped[str] = mapped_column(Text)
    screenshot_path: Mapped[str | None] = mapped_column(Text)
    screenshot_sha256: Mapped[str | None] = mapped_column(String(64))
    dom_path: Mapped[str | None] = mapped_column(Text)
    dom_sha256: Mapped[str | None] = mapped_column(String(64))
    manifest_path: Mapped[str | None] = mapped_column(Text)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    forms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # valid | not_found | unclear | no_form | failed
    canary_result: Mapped[str | None] = mapped_column(String(20), index=True)
    canary_number: Mapped[str | None] = mapped_column(String(60))
    exchange_path: Mapped[str | None] = mapped_column(Text)
    exchange_sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


class LookalikeVerdict(Base):
    """The combined judgement (name + page evidence) at one point in time."""

    __tablename__ = "lookalike_verdicts"
    __table_args__ = (Index("ix_lookalike_verdict_candidate_at", "candidate_id", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("lookalike_candidates.id"))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("lookalike_captures.id"))
    decided_at: Mapped[datetime]
    label: Mapped[str] = mapped_column(String(20), index=True)
    score: Mapped[float] = mapped_column(Float)
    imitates: Mapped[str | None] = mapped_column(String(255))
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    page_signals: Mapped[dict[str, Any] | None] = mapped_column(JSON)

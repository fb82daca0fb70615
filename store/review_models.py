"""Review UI tables: users, sessions, login attempts, case states, facets and the audit log.

A decision also lands in the classifier's `reviews` table (see `review.decisions`), so
`certwatch train --with-reviews` learns from it; these tables hold what the UI needs besides.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, Listing

ROLES = ("analyst", "supervisor", "admin")
# Queue items: listings now; lookalike sites share the same case and facet tables.
ITEM_KINDS = ("listing", "site")
STATUSES = ("pending", "confirmed", "dismissed", "needs_info", "escalated", "closed")
GENESIS_HASH = "0" * 64


class ReviewUser(Base):
    __tablename__ = "review_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ReviewSession(Base):
    """A login; the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "review_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("review_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    __tablename__ = "review_login_attempts"
    __table_args__ = (Index("ix_login_attempt_name_at", "name", "at"),
                      Index("ix_login_attempt_client_at", "client", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)


class ReviewCase(Base):
    """The current review state of one queue item (no row: pending)."""

    __tablename__ = "review_cases"
    __table_args__ = (UniqueConstraint("kind", "item_id", name="uq_review_case_item"),
                      Index("ix_review_case_kind_status", "kind", "status", "item_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    # guazheng | fake_cert | exam_fraud for confirmed (and closed-confirmed) cases
    category: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class ReviewFacet(Base):
    """Filterable values pulled out of a verdict's attributes (region, certificate family).

    JSON attributes cannot be filtered fast or portably; this small table can. `signature`
    rows (facet "_sig") remember which verdict the facets were derived from.
    """

    __tablename__ = "review_facets"
    __table_args__ = (Index("ix_review_facet_lookup", "facet", "value", "kind", "item_id"),
                      Index("ix_review_facet_item", "kind", "item_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(Integer)
    facet: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(120))


class AuditEntry(Base):
    """Append-only, hash-chained: `hash` = SHA-256 over `prev_hash` and the entry's content.

    Database triggers refuse UPDATE and DELETE; UNIQUE(prev_hash) refuses a fork.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_kind: Mapped[str] = mapped_column(String(20), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    client: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# The queue sorts flagged listings by risk and filters by first sighting (migration 0004).
Index("ix_listings_label_score", Listing.label, Listing.score, Listing.id)
Index("ix_listings_first_seen", Listing.first_seen)

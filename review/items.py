"""Kinds of queue items and the table that holds each (lookalike sites join later)."""

from __future__ import annotations

from sqlalchemy.orm import InstrumentedAttribute

from store.models import Listing


def item_table(kind: str) -> InstrumentedAttribute | None:
    """The id column of the table holding items of `kind`."""
    if kind == "listing":
        return Listing.id
    if kind == "site":
        from store.lookalike_models import LookalikeCandidate

        return LookalikeCandidate.id
    return None

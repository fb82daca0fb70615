"""What the spider hands to the store pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class PageItem:
    """One fetch, successful or not; the body is kept raw (bytes as received)."""

    url: str
    fetched_at: datetime
    kind: str
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes | None = None
    encoding: str | None = None
    error: str | None = None


@dataclass
class ListingItem:
    key: str
    url: str
    title: str
    text: str
    seen_at: datetime
    page_url: str
    posted: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class SeenKeys:
    """Keys found on a list page: proof the listings still exist."""

    keys: list[str]


@dataclass
class GoneKey:
    """A listing's own page answered 404 or 410."""

    key: str

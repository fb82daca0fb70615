"""What the spider hands to the store pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ListingItem:
    key: str
    url: str
    title: str
    text: str
    seen_at: datetime
    posted: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class PageItem:
    """One fetch, successful or not, with what it taught us; the body is kept raw.

    One item per page (not one per finding) keeps Scrapy's per-item overhead off the hot path.
    """

    url: str
    fetched_at: datetime
    kind: str
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes | None = None
    encoding: str | None = None
    error: str | None = None
    listings: list[ListingItem] = field(default_factory=list)
    # Keys on a list page: proof those listings still exist even if their detail fetch fails.
    seen_keys: list[str] = field(default_factory=list)
    # The listing whose own page answered 404 or 410.
    gone_key: str | None = None

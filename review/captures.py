"""Screenshots taken at crawl time, read back from the WARC capture (hash-checked)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from store.errors import StoreError

if TYPE_CHECKING:
    from store.warc_index import WarcRef


def latest_screenshot(engine: Engine, listing_id: int,
                      home: Path | None) -> WarcRef | None:
    """The newest screenshot record of the listing's page, or None."""
    if home is None:
        return None
    from store.warc_index import captures_for_listing

    try:
        refs = captures_for_listing(engine, listing_id, home)
    except StoreError:
        return None
    shots = [r for r in refs if r.role == "screenshot"]
    return shots[-1] if shots else None


def record_block(record: bytes) -> bytes:
    """The block of an uncompressed WARC record (its payload for a resource record)."""
    head, _, rest = record.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return rest[: int(value.strip())]
    return rest.removesuffix(b"\r\n\r\n")

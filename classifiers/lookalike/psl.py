"""Registered domain and public suffix from the bundled Public Suffix List, never the network.

tldextract fetches the list over HTTP unless told otherwise; here it reads only the snapshot
`classifiers/data/public_suffix_list.dat` (through a file:// URL) and keeps no disk cache.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import tldextract

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "public_suffix_list.dat"


class Parts(NamedTuple):
    subdomain: str
    domain: str
    suffix: str

    @property
    def registered(self) -> str:
        return f"{self.domain}.{self.suffix}" if self.domain and self.suffix else ""


@lru_cache(maxsize=1)
def extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(SNAPSHOT.as_uri(),),
                                 fallback_to_snapshot=False)


def split(host: str) -> Parts:
    """Split an ASCII (punycode) hostname; suffix is "" when none of the list matches."""
    result = extractor().extract_str(host)
    return Parts(result.subdomain, result.domain, result.suffix)


def snapshot_version() -> str:
    with SNAPSHOT.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("// VERSION:"):
                return line.split(":", 1)[1].strip()
    return "unknown"

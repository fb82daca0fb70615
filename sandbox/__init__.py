"""A deterministic local web of Chinese job boards, a marketplace, a forum, certificate-query
portals and a hostile site, served on loopback for certwatch's demo, tests and benchmarks."""

from sandbox.hosts import (
    LOOKALIKES,
    OFFICIAL_SITES,
    OTHER_PORTALS,
    SITES,
    START_URLS,
    TIEBA_START_URLS,
)
from sandbox.truth import DEFAULT_SEED, TruthListing, listings

__all__ = [
    "DEFAULT_SEED",
    "LOOKALIKES",
    "OFFICIAL_SITES",
    "OTHER_PORTALS",
    "SITES",
    "START_URLS",
    "TIEBA_START_URLS",
    "TruthListing",
    "listings",
]

"""Ground truth: every listing a crawler should find on the sandbox, per seed and night."""

from __future__ import annotations

from sandbox.content.nights import night_state
from sandbox.hosts import LOOKALIKES, OFFICIAL_SITES, SITES
from sandbox.listing import TruthListing

DEFAULT_SEED = 20261122

__all__ = ["DEFAULT_SEED", "LOOKALIKES", "OFFICIAL_SITES", "SITES", "TruthListing", "listings"]


def listings(seed: int = DEFAULT_SEED, night: int = 1) -> list[TruthListing]:
    """Every listing on every site for that night, site by site, newest first."""
    state = night_state(seed, night)
    return [post.truth for site in SITES for post in state.posts[site]]

"""Ground truth: every listing a crawler should find on the sandbox, per seed and night."""

from __future__ import annotations

from sandbox.content.nights import night_state
from sandbox.hosts import LOOKALIKES, OFFICIAL_SITES, SITES
from sandbox.listing import TruthListing

DEFAULT_SEED = 20261122

__all__ = ["DEFAULT_SEED", "HARD_BENIGN_KINDS", "LOOKALIKES", "OFFICIAL_SITES", "SITES",
           "TruthListing", "labelled", "listings"]


def listings(seed: int = DEFAULT_SEED, night: int = 1) -> list[TruthListing]:
    """Every listing on every site for that night, site by site, newest first."""
    state = night_state(seed, night)
    return [post.truth for site in SITES for post in state.posts[site]]


# Benign kinds whose texts carry the same vocabulary as fraud (the "hard" cases).
HARD_BENIGN_KINDS = frozenset({"onsite_job", "training_honest", "safety_recruit", "question",
                               "news", "warning", "notice", "complaint", "textbook"})


def labelled(seed: int = DEFAULT_SEED, night: int = 1) -> list[dict]:
    """The ground truth as labelled JSONL rows, the input `certwatch evaluate` reads."""
    return [
        {"id": t.url, "title": t.title, "text": t.text, "label": t.label,
         "obfuscated": t.obfuscated,
         "hard": t.label == "benign" and t.kind in HARD_BENIGN_KINDS,
         "site": t.site, "kind": t.kind}
        for t in listings(seed, night)
    ]

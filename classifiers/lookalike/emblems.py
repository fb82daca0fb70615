"""Does a page show the official emblem or logo? Perceptual-hash matching of its images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from classifiers.lookalike.perceptual import distance

# Out of 64 bits. The sandbox emblem re-sized from 96 to 72 px is 3 (pHash) / 0 (dHash) away;
# re-encoded as JPEG it is ~16 / ~1 (pHash flips on a symmetric picture's near-zero
# frequencies); an unrelated square logo is over 30 away on both. So: one hash must be
# close and the other not far.
CLOSE = 8
NOT_FAR = 24


@dataclass(frozen=True)
class EmblemMatch:
    src: str
    reference: str
    phash_distance: int
    dhash_distance: int

    @property
    def matched(self) -> bool:
        near, far = sorted((self.phash_distance, self.dhash_distance))
        return near <= CLOSE and far <= NOT_FAR

    def as_json(self) -> dict[str, Any]:
        return {"src": self.src, "reference": self.reference, "matched": self.matched,
                "phash_distance": self.phash_distance, "dhash_distance": self.dhash_distance}


def best_match(
    images: list[dict[str, Any]], references: list[dict[str, Any]]
) -> EmblemMatch | None:
    """The closest (image, reference emblem) pair, or None when either side has none."""
    best: EmblemMatch | None = None
    for image in images:
        for ref in references:
            match = EmblemMatch(image.get("src", ""), ref.get("src", ""),
                                distance(image["phash"], ref["phash"]),
                                distance(image["dhash"], ref["dhash"]))
            key = match.phash_distance + match.dhash_distance
            if best is None or key < best.phash_distance + best.dhash_distance:
                best = match
    return best

"""Title and text similarity between a candidate page and an official one.

Text is compared as sets of character 4-shingles of the normalised text (CJK has no spaces, so
characters, not words); shingles are stored as stable CRC32 values so a fingerprint file holds
numbers rather than the official page's text.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zlib
from collections.abc import Iterable

SHINGLE = 4
# Keep letters, digits and CJK; drop whitespace, punctuation and symbols.
_NOISE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
MAX_TEXT = 200_000  # characters considered; keyword-stuffed pages must not blow up the sets


def normalise(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower()[:MAX_TEXT])


def shingles(text: str, k: int = SHINGLE) -> set[int]:
    flat = normalise(text)
    if len(flat) < k:
        return {zlib.crc32(flat.encode("utf-8"))} if flat else set()
    return {zlib.crc32(flat[i : i + k].encode("utf-8")) for i in range(len(flat) - k + 1)}


def containment(candidate: set[int], official: set[int]) -> float:
    """Share of the official text's shingles that the candidate page repeats (0–1)."""
    if not official:
        return 0.0
    return len(candidate & official) / len(official)


def jaccard(a: set[int], b: set[int]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def title_similarity(title: str, official_titles: Iterable[str]) -> float:
    """Best match of a title against the official site's titles (0–1, on normalised text)."""
    mine = normalise(title)
    best = 0.0
    for other in official_titles:
        theirs = normalise(other)
        if mine and theirs:
            best = max(best, difflib.SequenceMatcher(None, mine, theirs, autojunk=False).ratio())
    return best

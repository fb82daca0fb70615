"""Homoglyph folding: map characters that pass for ASCII letters back to the letters.

The table is data (`classifiers/data/homoglyphs.tsv`); folding runs on every name scored, so
single characters go through one `str.translate` and the few sequences (rn → m) through replace.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from classifiers.lookalike.errors import WatchlistError

TABLE = Path(__file__).resolve().parent.parent / "data" / "homoglyphs.tsv"


@dataclass(frozen=True)
class Homoglyphs:
    singles: dict[str, str]
    sequences: tuple[tuple[str, str], ...]
    translation: dict[int, str]

    def fold(self, text: str) -> str:
        """Lowercase ASCII skeleton of `text` (digits and sequences folded too)."""
        for seq, ascii_ in self.sequences:
            if seq in text:
                text = text.replace(seq, ascii_)
        return text.translate(self.translation)

    def lookalikes(self, letter: str) -> list[str]:
        """Characters and sequences that pass for `letter` (the homoglyph fuzzer's table)."""
        found = [c for c, a in self.singles.items() if a == letter]
        found += [s for s, a in self.sequences if a == letter]
        return found


@lru_cache(maxsize=4)
def load(path: Path = TABLE) -> Homoglyphs:
    singles: dict[str, str] = {}
    sequences: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0] or not fields[1].isascii():
            raise WatchlistError(f"{path}:{number}: expected 'lookalike<TAB>ascii', got {line!r}")
        glyph, ascii_ = fields
        if len(glyph) == 1:
            singles[glyph] = ascii_
        else:
            sequences.append((glyph, ascii_))
    return Homoglyphs(singles, tuple(sequences), str.maketrans(singles))


def script_of(char: str) -> str:
    """'latin', 'cyrillic', 'greek', 'han', 'digit', 'other' — enough to spot mixed labels."""
    if char.isascii():
        return "digit" if char.isdigit() else ("latin" if char.isalpha() else "other")
    name = unicodedata.name(char, "")
    for script in ("LATIN", "CYRILLIC", "GREEK", "CJK"):
        if name.startswith(script):
            return "han" if script == "CJK" else script.lower()
    return "other"


def mixed_script(label: str) -> bool:
    """Latin letters next to Cyrillic or Greek ones in one label: the classic confusable."""
    scripts = {script_of(c) for c in label if not c.isascii() or c.isalpha()}
    return "latin" in scripts and bool(scripts & {"cyrillic", "greek"})


def confusable_script(label: str) -> bool:
    """A label written in Cyrillic/Greek letters that all fold to ASCII (whole-script spoof)."""
    table = load()
    letters = [c for c in label if not c.isascii()]
    return bool(letters) and all(c in table.singles for c in letters) and any(
        script_of(c) in ("cyrillic", "greek") for c in letters)

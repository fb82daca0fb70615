"""The labelled corpus: loading, validation, near-duplicate grouping and the held-out split.

The split is a pure function of the texts: each group of near-duplicates goes wholly to one
side, chosen by a hash of the group's first text, so adding examples never moves old ones
across and training can never see a paraphrase of a held-out item.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from classifiers.errors import CorpusError

LABELS = ("guazheng", "fake_cert", "exam_fraud", "benign")
FRAUD_LABELS = LABELS[:3]
CORPUS_DIR = Path(__file__).parent / "data" / "corpus"
HELDOUT_FRACTION = 0.2
NEAR_DUP_JACCARD = 0.5
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Example:
    id: str
    label: str
    text: str
    title: str = ""
    platform: str = ""
    obfuscated: bool = False
    hard: bool = False
    writer: str = ""

    @property
    def full_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text

    def as_dict(self) -> dict:
        return asdict(self)


def parse_example(raw: str, where: str) -> Example:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    for key in ("id", "label", "text"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise CorpusError(f"{where}: field '{key}' must be a non-empty string")
    if obj["label"] not in LABELS:
        raise CorpusError(f"{where}: label {obj['label']!r} is not one of {', '.join(LABELS)}")
    return Example(id=obj["id"], label=obj["label"], text=obj["text"],
                   title=obj.get("title") or "", platform=obj.get("platform") or "",
                   obfuscated=bool(obj.get("obfuscated")), hard=bool(obj.get("hard")),
                   writer=obj.get("writer") or "")


def load_jsonl(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                examples.append(parse_example(line, f"{path}:{number}"))
    return examples


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def load_corpus(directory: Path = CORPUS_DIR) -> list[Example]:
    """Every example; duplicate ids or exact duplicate texts are errors, not silent drops."""
    examples: list[Example] = []
    ids: dict[str, Path] = {}
    texts: dict[str, str] = {}
    for path in corpus_files(directory):
        for ex in load_jsonl(path):
            if ex.id in ids:
                raise CorpusError(f"{path}: id {ex.id!r} already used in {ids[ex.id]}")
            ids[ex.id] = path
            key = " ".join(ex.full_text.split())
            if key in texts:
                raise CorpusError(f"{path}: {ex.id} repeats the text of {texts[key]}")
            texts[key] = ex.id
            examples.append(ex)
    if not examples:
        raise CorpusError(f"{directory}: no corpus files (*.jsonl)")
    return examples


def corpus_hash(directory: Path = CORPUS_DIR) -> str:
    digest = hashlib.sha256()
    for path in corpus_files(directory):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _shingle_matrix(texts: list[str], vocabulary: dict | None = None):
    # Digits folded: two ads that differ only in a price or a phone number are one ad.
    folded = [_DIGITS.sub("0", " ".join(t.split())) for t in texts]
    vec = CountVectorizer(analyzer="char", ngram_range=(4, 4), binary=True, lowercase=True,
                          vocabulary=vocabulary, dtype=np.int32)
    return vec.fit_transform(folded) if vocabulary is None else vec.transform(folded), vec


def jaccard_pairs(left: list[str], right: list[str], threshold: float = NEAR_DUP_JACCARD
                  ) -> list[tuple[int, int, float]]:
    """(i, j, jaccard) for every left[i], right[j] pair at or above `threshold`."""
    x_left, vec = _shingle_matrix(left + right)
    x_right = x_left[len(left):]
    x_left = x_left[: len(left)]
    inter = (x_left @ x_right.T).tocoo()
    size_l = np.asarray(x_left.sum(axis=1)).ravel()
    size_r = np.asarray(x_right.sum(axis=1)).ravel()
    pairs = []
    for i, j, shared in zip(inter.row, inter.col, inter.data, strict=True):
        union = size_l[i] + size_r[j] - shared
        score = shared / union if union else 1.0
        if score >= threshold:
            pairs.append((int(i), int(j), float(score)))
    return pairs


def near_duplicate_groups(examples: list[Example]) -> list[int]:
    """Group id per example: connected components of the near-duplicate graph."""
    parent = list(range(len(examples)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    texts = [ex.full_text for ex in examples]
    for i, j, _ in jaccard_pairs(texts, texts):
        if i != j:
            parent[find(i)] = find(j)
    return [find(i) for i in range(len(examples))]


def _side(text: str) -> str:
    digest = hashlib.sha256(" ".join(text.split()).encode("utf-8")).digest()
    return "heldout" if int.from_bytes(digest[:4], "big") / 2**32 < HELDOUT_FRACTION else "train"


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(train, heldout); near-duplicates always land on the same side."""
    groups = near_duplicate_groups(examples)
    first: dict[int, str] = {}
    for ex, group in zip(examples, groups, strict=True):
        first.setdefault(group, ex.full_text)
    train, heldout = [], []
    for ex, group in zip(examples, groups, strict=True):
        (heldout if _side(first[group]) == "heldout" else train).append(ex)
    return train, heldout


def describe(examples: list[Example]) -> dict:
    """Counts for the docs and the model metadata."""
    by_label = Counter(ex.label for ex in examples)
    return {
        "total": len(examples),
        "by_label": dict(sorted(by_label.items())),
        "obfuscated_fraud": sum(ex.obfuscated for ex in examples if ex.label != "benign"),
        "hard_benign": sum(ex.hard for ex in examples if ex.label == "benign"),
        "by_platform": dict(Counter(ex.platform for ex in examples).most_common()),
    }

"""Score listings: label, calibrated risk, reasons mapped to the original text, attributes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from classifiers.attributes import extract_attributes
from classifiers.corpus import corpus_hash
from classifiers.model import FRAUD_THRESHOLD, SavedModel, load
from classifiers.normalize import Normalized, normalize

MAX_REASONS = 5
CANDIDATE_FEATURES = 16


@dataclass(frozen=True)
class Reason:
    text: str
    start: int
    end: int
    weight: float
    field: str  # "text" or "title": the offsets are into that field


@dataclass
class Verdict:
    label: str
    score: float
    scores: dict[str, float]
    reasons: list[Reason]
    attributes: dict[str, Any]
    model_version: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score, "scores": self.scores,
                "reasons": [asdict(r) for r in self.reasons], "attributes": self.attributes}


class Classifier:
    """A loaded model ready to score; build once, reuse (loading checks the artifact)."""

    def __init__(self, saved: SavedModel) -> None:
        self.saved = saved
        pipeline = saved.pipeline
        self.tfidf = pipeline.named_steps["tfidf"]
        self.clf = pipeline.named_steps["clf"]
        self.labels: list[str] = [str(c) for c in self.clf.classes_]
        self.benign = self.labels.index("benign")
        self.coef = np.asarray(self.clf.coef_, dtype=np.float64)
        self.threshold = saved.metadata.get("params", {}).get("fraud_threshold",
                                                              FRAUD_THRESHOLD)

    @classmethod
    def load(cls, check_corpus: bool = True) -> Classifier:
        return cls(load(corpus_sha256=corpus_hash() if check_corpus else None))

    @property
    def version(self) -> str:
        return self.saved.version

    def classify(self, text: str, title: str = "") -> Verdict:
        return self.classify_many([(title, text)])[0]

    def classify_many(self, items: Sequence[tuple[str, str]]) -> list[Verdict]:
        """Score (title, text) pairs in one batch."""
        if not items:
            return []
        combined = [f"{title}\n{text}" if title else text for title, text in items]
        normalized = [normalize(c) for c in combined]
        x, grams = self.tfidf.transform_grams([n.text for n in normalized])
        proba = self.clf.predict_proba(x)
        # Group n-gram occurrences by document once for the whole batch.
        order = np.argsort(grams.doc, kind="stable")
        bounds = np.searchsorted(grams.doc[order], np.arange(len(items) + 1))
        verdicts = []
        for row, ((title, text), norm) in enumerate(zip(items, normalized, strict=True)):
            p = proba[row]
            fraud = p.copy()
            fraud[self.benign] = -1.0
            best = int(np.argmax(fraud)) if 1.0 - p[self.benign] >= self.threshold \
                else self.benign
            occ = order[bounds[row]:bounds[row + 1]]
            reasons = self._reasons(x, row, best, p, grams, occ, norm, title)
            verdicts.append(Verdict(
                label=self.labels[best], score=round(1.0 - float(p[self.benign]), 4),
                scores={label: round(float(p[i]), 4) for i, label in enumerate(self.labels)},
                reasons=reasons, attributes=extract_attributes(text, title).as_dict(),
                model_version=self.version))
        return verdicts

    def _reasons(self, x: Any, row: int, best: int, proba: np.ndarray, grams: Any,
                 occ: np.ndarray, norm: Normalized, title: str) -> list[Reason]:
        """Top n-grams pushing `best` over its runner-up, as spans of the original text."""
        start, end = x.indptr[row], x.indptr[row + 1]
        feats, vals = x.indices[start:end], x.data[start:end]
        occ = occ[grams.size[occ] >= 2]  # single characters explain nothing to a reader
        if not len(feats) or not len(occ):
            return []
        runner_up = max((i for i in range(len(proba)) if i != best), key=lambda i: proba[i])
        contrib = vals * (self.coef[best, feats] - self.coef[runner_up, feats])
        top = {int(f): float(c) for f, c in zip(feats, contrib, strict=True) if c > 0}
        ranked = sorted(top, key=top.get, reverse=True)[:CANDIDATE_FEATURES]
        chosen = set(ranked)
        spans = [[int(grams.pos[i]), int(grams.pos[i] + grams.size[i]),
                  top[int(grams.feature[i])]]
                 for i in occ if int(grams.feature[i]) in chosen]
        return _merge(spans, norm, title)


def _merge(spans: list[list[float]], norm: Normalized, title: str) -> list[Reason]:
    """Merge overlapping n-gram hits into phrases; strongest first; offsets per field."""
    spans.sort()
    merged: list[list[float]] = []
    for s in spans:
        if merged and s[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], s[1])
            merged[-1][2] = max(merged[-1][2], s[2])
        else:
            merged.append(list(s))
    merged.sort(key=lambda s: -s[2])
    offset = len(title) + 1 if title else 0
    reasons: list[Reason] = []
    seen: set[tuple[str, int]] = set()
    for s_start, s_end, weight in merged:
        o_start, o_end = norm.span(int(s_start), int(s_end))
        if title and o_start < len(title):
            fld, start, end = "title", o_start, min(o_end, len(title))
        else:
            fld, start, end = "text", max(0, o_start - offset), max(0, o_end - offset)
        phrase = (title if fld == "title" else norm.original[offset:])[start:end]
        if not phrase.strip() or (fld, start) in seen:
            continue
        seen.add((fld, start))
        reasons.append(Reason(text=phrase, start=start, end=end, weight=round(weight, 4),
                              field=fld))
        if len(reasons) == MAX_REASONS:
            break
    return reasons

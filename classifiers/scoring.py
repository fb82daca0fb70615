"""Score listings: label, calibrated risk, reasons mapped to the original text, attributes."""

from __future__ import annotations

import contextlib
import gc
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from classifiers.attributes import extract_attributes
from classifiers.corpus import corpus_hash
from classifiers.model import FRAUD_THRESHOLD, SavedModel, decide, load
from classifiers.normalize import Normalized, normalize

MAX_REASONS = 5
MAX_SPANS = 48  # strongest n-gram occurrences considered per listing before merging
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def representable(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, one for one (offsets still hold).

    json.loads accepts "\\ud800" and a file read with surrogateescape yields such code
    points; UTF-8 cannot encode them, so nothing echoed back may contain one.
    """
    return _LONE_SURROGATE.sub("\ufffd", text)


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

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score, "scores": self.scores,
                "reasons": [asdict(r) for r in self.reasons], "attributes": self.attributes}


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one batch.

    A batch allocates tens of thousands of small acyclic objects (maps, spans, verdicts);
    left on, the collector scans them and, every few batches, the whole heap of loaded
    libraries and tables too (about a tenth of the batch's time). Reference counting still
    frees everything here; the collector resumes, as it was, when the batch is done.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
        self.n_labels = len(self.labels)
        self.coef_by_feature = np.ascontiguousarray(self.coef.T).ravel()
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
        with _collector_paused():
            return self._classify_many(items)

    def _classify_many(self, items: Sequence[tuple[str, str]]) -> list[Verdict]:
        combined = [f"{title}\n{text}" if title else text for title, text in items]
        normalized = [normalize(c) for c in combined]
        x, grams, cell = self.tfidf.transform_grams([n.text for n in normalized])
        proba = self.clf.predict_proba(x)
        best = self._decide(proba)
        spans = self._batch_spans(x.data[cell], grams, best, proba, len(items))
        verdicts = []
        labels, benign, version = self.labels, self.benign, self.version
        # Python floats up front: the same values as float(proba[row, i]), without a NumPy
        # scalar per probability.
        for (title, text), norm, p, label, phrases in zip(
                items, normalized, proba.tolist(), best.tolist(), spans, strict=True):
            reasons = _reasons(phrases, norm, title)
            if _LONE_SURROGATE.search(title) or _LONE_SURROGATE.search(text):
                # Scored as given (the normaliser drops them); echoed with U+FFFD instead.
                title, text = representable(title), representable(text)
                reasons = [_new_reason(representable(r.text), r.start, r.end, r.weight,
                                       r.field) for r in reasons]
            verdicts.append(Verdict(
                label=labels[label], score=round(1.0 - p[benign], 4),
                scores={name: round(p[i], 4) for i, name in enumerate(labels)},
                reasons=reasons,
                attributes=extract_attributes(text, title).as_dict(),
                model_version=version))
        return verdicts

    def _decide(self, proba: np.ndarray) -> np.ndarray:
        """Best fraud class where P(fraud) reaches the threshold, benign elsewhere."""
        return decide(proba, self.benign, self.threshold)

    def _batch_spans(self, values: np.ndarray, grams: Any, best: np.ndarray,
                     proba: np.ndarray, n_docs: int) -> list[list[list[float]]]:
        """Per document, phrases pushing its label over the runner-up, strongest first.

        Vectorised over the batch: an occurrence weighs its feature's TF-IDF value times the
        coefficient gap between the chosen label and the runner-up; overlapping occurrences
        merge into one phrase carrying the strongest weight. Each document keeps its
        MAX_SPANS strongest occurrences (ties: earlier occurrence first) before merging.
        """
        # Occurrences come in blocks of ascending size: single characters (which explain
        # nothing to a reader) are the first block.
        first = int(np.searchsorted(grams.size, 2))
        docs, feats = grams.doc[first:], grams.feature[first:]
        others = proba.copy()
        others[np.arange(n_docs), best] = -1.0
        runner_up = others.argmax(axis=1)
        # coef_by_feature holds a feature's coefficients side by side: both lookups of an
        # occurrence hit one cache line instead of two rows 8 MB apart.
        at = feats * self.n_labels
        contrib = values[first:] * (self.coef_by_feature[at + best[docs]]
                                    - self.coef_by_feature[at + runner_up[docs]])
        occ = np.flatnonzero(contrib > 0)
        docs = docs[occ]
        # Grouped by document, each in occurrence order (a radix sort on small integers).
        order = np.argsort(_small_ints(docs, n_docs), kind="stable")
        occ, docs = occ[order], docs[order]
        keep = _strongest(contrib[occ], docs, n_docs)
        occ, contrib = occ[keep], contrib[occ[keep]]
        occ += first
        docs, starts = grams.doc[occ], grams.pos[occ]
        ends = starts + grams.size[occ]
        if not len(docs):
            return [[] for _ in range(n_docs)]
        # By document, then start: overlapping occurrences are neighbours.
        order = np.argsort(docs * (int(starts.max()) + 1) + starts, kind="stable")
        docs, starts, ends, contrib = docs[order], starts[order], ends[order], contrib[order]
        # Documents are sorted, so shifting each by a large stride makes one running maximum
        # over the whole batch behave as a per-document one.
        shifted = ends + docs * (1 << 40)
        reach = np.maximum.accumulate(shifted)
        new_group = np.ones(len(docs), dtype=bool)
        new_group[1:] = (docs[1:] != docs[:-1]) | (starts[1:] + docs[1:] * (1 << 40) > reach[:-1])
        first_of = np.flatnonzero(new_group)
        g_doc, g_start = docs[first_of], starts[first_of]
        g_end = np.maximum.reduceat(ends, first_of)
        g_weight = np.maximum.reduceat(contrib, first_of)
        order = np.argsort(-g_weight, kind="stable")
        order = order[np.argsort(_small_ints(g_doc[order], n_docs), kind="stable")]
        g_doc, g_start, g_end, g_weight = (g_doc[order], g_start[order], g_end[order],
                                           g_weight[order])
        bounds = np.searchsorted(g_doc, np.arange(n_docs + 1))
        table = np.column_stack((g_start, g_end, g_weight))
        return [table[bounds[row]: min(bounds[row + 1], bounds[row] + 2 * MAX_REASONS)].tolist()
                for row in range(n_docs)]


def _strongest(contrib: np.ndarray, docs: np.ndarray, n_docs: int) -> np.ndarray:
    """Which occurrences are among their document's MAX_SPANS strongest, ties going to the
    earlier occurrence. `docs` is sorted and each document's occurrences are in order.

    The same set as ranking each document by (-weight, occurrence) would give, without
    sorting the weights: the MAX_SPANS-th largest weight of a crowded document is found by
    partition (linear), everything stronger is kept, and the earliest of those equal to it
    fill the places left.
    """
    counts = np.bincount(docs, minlength=n_docs)
    crowded = np.flatnonzero(counts > MAX_SPANS)
    if not len(crowded):
        return np.ones(len(docs), dtype=bool)
    doc_first = np.zeros(n_docs, dtype=np.int64)
    np.cumsum(counts[:-1], out=doc_first[1:])
    threshold = np.full(n_docs, -np.inf)
    for doc in crowded.tolist():
        start, count = doc_first[doc], counts[doc]
        kth = count - MAX_SPANS
        threshold[doc] = np.partition(contrib[start:start + count], kth)[kth]
    at_doc = threshold[docs]
    above = contrib > at_doc
    tied = contrib == at_doc
    room = MAX_SPANS - np.bincount(docs[above], minlength=n_docs)
    tied_before = np.cumsum(tied) - tied
    tied_rank = tied_before - tied_before[doc_first[docs]]
    return above | (tied & (tied_rank < room[docs]))


def _small_ints(values: np.ndarray, bound: int) -> np.ndarray:
    """`values` (all below `bound`) as int16 where they fit: numpy sorts those by radix."""
    return values.astype(np.int16) if bound <= np.iinfo(np.int16).max else values


class _EdgeTable(dict[str, bool]):
    """Whether a character is whitespace, punctuation, separator or control: filled on first
    sight (a dict lookup instead of a unicodedata call per character)."""

    def __missing__(self, ch: str) -> bool:
        edge = self[ch] = ch.isspace() or unicodedata.category(ch)[0] in "PZC"
        return edge


_EDGE = _EdgeTable()


_object_new = object.__new__


def _new_reason(text: str, start: int, end: int, weight: float, fld: str) -> Reason:
    """Reason(...) without the frozen dataclass's per-field object.__setattr__ (equal object)."""
    obj = _object_new(Reason)
    fields = obj.__dict__
    fields["text"] = text
    fields["start"] = start
    fields["end"] = end
    fields["weight"] = weight
    fields["field"] = fld
    return obj


def _reasons(phrases: list[list[float]], norm: Normalized, title: str) -> list[Reason]:
    """Merged phrases (normalised coordinates, strongest first) as spans of the original."""
    if not phrases:
        return []
    offset = len(title) + 1 if title else 0
    body = norm.original[offset:] if title else norm.original
    edge = _EDGE
    # Normalized.span, inlined: phrases are n-grams of the text, so no clamping is needed.
    offsets, n = norm.offsets, len(norm.text)
    end_of = norm.runs.end_of if norm.runs is not None else None
    reasons: list[Reason] = []
    seen: set[tuple[str, int]] = set()
    for s_start, s_end, weight in phrases:
        p_start, p_end = int(s_start), int(s_end)
        if 0 <= p_start < p_end <= n:
            o_start = offsets[p_start]
            o_end = end_of(p_end - 1) if end_of is not None else offsets[p_end]
            if o_end < o_start:
                o_end = o_start
        else:
            o_start, o_end = norm.span(p_start, p_end)
        if title and o_start < len(title):
            fld, start, end, source = "title", o_start, min(o_end, len(title)), title
        else:
            fld, source = "text", body
            start = o_start - offset if o_start > offset else 0
            end = o_end - offset if o_end > offset else 0
        # Punctuation at a phrase's edges is n-gram overlap, not part of what to highlight.
        while start < end and edge[source[start]]:
            start += 1
        while end > start and edge[source[end - 1]]:
            end -= 1
        if start == end or (fld, start) in seen:
            continue
        seen.add((fld, start))
        reasons.append(_new_reason(source[start:end], start, end, round(weight, 4), fld))
        if len(reasons) == MAX_REASONS:
            break
    return reasons

"""The scoring path as it was before the speed work, kept verbatim as the reference.

`tests/test_classify_fast_path.py` checks that `Classifier.classify_many` gives exactly what
this gives (label, scores, reasons, attributes) on the sandbox truth and the held-out corpus.
Only the pieces the fast path replaced are copied here; the rest is the shipped code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from classifiers import normalize as stages
from classifiers.attributes import extract_attributes
from classifiers.features import _MULT, _SENTINEL, Grams, _mix
from classifiers.normalize import Edit, Normalized, _compose, _Runs, load_tables
from classifiers.scoring import MAX_REASONS, MAX_SPANS, Classifier, Reason, Verdict


def classify_many(classifier: Classifier, items: Sequence[tuple[str, str]]) -> list[Verdict]:
    if not items:
        return []
    self = classifier
    combined = [f"{title}\n{text}" if title else text for title, text in items]
    normalized = [normalize(c) for c in combined]
    x, grams, cell = self.tfidf.transform_grams([n.text for n in normalized])
    proba = self.clf.predict_proba(x)
    best = self._decide(proba)
    spans = batch_spans(self, x.data[cell], grams, best, proba, len(items))
    verdicts = []
    for row, ((title, text), norm) in enumerate(zip(items, normalized, strict=True)):
        p = proba[row]
        verdicts.append(Verdict(
            label=self.labels[best[row]], score=round(1.0 - float(p[self.benign]), 4),
            scores={label: round(float(p[i]), 4) for i, label in enumerate(self.labels)},
            reasons=reasons(spans[row], norm, title),
            attributes=extract_attributes(text, title).as_dict(),
            model_version=self.version))
    return verdicts


def batch_spans(self: Classifier, values: np.ndarray, grams: Any, best: np.ndarray,
                proba: np.ndarray, n_docs: int) -> list[list[list[float]]]:
    occ = np.flatnonzero(grams.size >= 2)  # single characters explain nothing to a reader
    docs, feats = grams.doc[occ], grams.feature[occ]
    values = values[occ]
    others = proba.copy()
    others[np.arange(n_docs), best] = -1.0
    runner_up = others.argmax(axis=1)
    contrib = values * (self.coef[best[docs], feats] - self.coef[runner_up[docs], feats])
    keep = contrib > 0
    occ, docs, contrib = occ[keep], docs[keep], contrib[keep]
    order = np.lexsort((-contrib, docs))
    occ, docs, contrib = occ[order], docs[order], contrib[order]
    rank = np.arange(len(docs)) - np.searchsorted(docs, docs)
    top = rank < MAX_SPANS
    occ, docs, contrib = occ[top], docs[top], contrib[top]
    starts = grams.pos[occ]
    ends = starts + grams.size[occ]
    order = np.lexsort((starts, docs))
    docs, starts, ends, contrib = docs[order], starts[order], ends[order], contrib[order]
    shifted = ends + docs * (1 << 40)
    reach = np.maximum.accumulate(shifted)
    new_group = np.ones(len(docs), dtype=bool)
    new_group[1:] = (docs[1:] != docs[:-1]) | (starts[1:] + docs[1:] * (1 << 40) > reach[:-1])
    first = np.flatnonzero(new_group)
    if not len(first):
        return [[] for _ in range(n_docs)]
    g_doc, g_start = docs[first], starts[first]
    g_end = np.maximum.reduceat(ends, first)
    g_weight = np.maximum.reduceat(contrib, first)
    order = np.lexsort((-g_weight, g_doc))
    g_doc, g_start, g_end, g_weight = (g_doc[order], g_start[order], g_end[order],
                                       g_weight[order])
    bounds = np.searchsorted(g_doc, np.arange(n_docs + 1))
    table = np.column_stack((g_start, g_end, g_weight))
    return [table[bounds[row]: min(bounds[row + 1], bounds[row] + 2 * MAX_REASONS)].tolist()
            for row in range(n_docs)]


def _is_edge(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PZC"


def reasons(phrases: list[list[float]], norm: Normalized, title: str) -> list[Reason]:
    offset = len(title) + 1 if title else 0
    out: list[Reason] = []
    seen: set[tuple[str, int]] = set()
    for s_start, s_end, weight in phrases:
        o_start, o_end = norm.span(int(s_start), int(s_end))
        if title and o_start < len(title):
            fld, start, end = "title", o_start, min(o_end, len(title))
        else:
            fld, start, end = "text", max(0, o_start - offset), max(0, o_end - offset)
        source = title if fld == "title" else norm.original[offset:]
        while start < end and _is_edge(source[start]):
            start += 1
        while end > start and _is_edge(source[end - 1]):
            end -= 1
        phrase = source[start:end]
        if not phrase or (fld, start) in seen:
            continue
        seen.add((fld, start))
        out.append(Reason(text=phrase, start=start, end=end, weight=round(weight, 4),
                          field=fld))
        if len(out) == MAX_REASONS:
            break
    return out


def translate_characters(text: str, table: dict[int, int]) -> str:
    """Stage 1's one-to-one character folding, as a plain str.translate."""
    return text.translate(table)


def normalize(text: str) -> Normalized:
    """classifiers.normalize.normalize with the reference character folding and editing."""
    t = load_tables()
    n = len(text)
    runs = _Runs.identity(n)
    current = translate_characters(text, t.one_to_one)
    current, runs = apply_edits(current, runs, stages._char_edits(current, t))
    for stage in stages._STAGES:
        current, runs = apply_edits(current, runs, stage(current, t))
    for _ in range(stages._ALIAS_PASSES):
        edits = stages._alias_edits(current, t)
        if not edits:
            break
        current, runs = apply_edits(current, runs, edits)
    current, runs = apply_edits(current, runs, stages._contextual_edits(current, t))
    return Normalized(original=text, text=current, offsets=runs.offsets(n), runs=runs)


def apply_edits(text: str, runs: _Runs, edits: Sequence[Edit]) -> tuple[str, _Runs]:
    """Apply sorted, non-overlapping edits to the text and its map.

    Inside an edit, equal-length replacements and a common prefix/suffix map character by
    character; the rest of the replacement maps to the whole of the rest of the source
    ("gua证" → "挂证": 挂 ← gua, 证 ← 证).
    """
    if not edits:
        return text, runs
    pieces: list[str] = []
    # (a, b, -1): output copies text[a:b] position for position (equal-length replacements
    # included); (a, b, k): k output characters that all come from text[a:b].
    items: list[tuple[int, int, int]] = []
    copy_from = last = 0  # the pending copy is text[copy_from:...]
    for s, e, repl in edits:
        if s > last:
            pieces.append(text[last:s])
        last = e
        k = len(repl)
        if not k:  # a deletion ends the pending copy
            if s > copy_from:
                items.append((copy_from, s, -1))
            copy_from = e
            continue
        pieces.append(repl)
        n = e - s
        if n == k:
            continue  # same length: stays inside the pending copy
        limit = min(n, k)
        p = 0
        while p < limit and text[s + p] == repl[p]:
            p += 1
        q = 0
        while q < limit - p and text[e - 1 - q] == repl[k - 1 - q]:
            q += 1
        if s + p > copy_from:
            items.append((copy_from, s + p, -1))
        if n - p - q > 0:
            items.append((s + p, e - q, k - p - q))
        else:  # pure insertion: borrow the neighbouring source character
            at = s + p - 1 if p else s
            items.append((at, at + 1, k - p - q))
        copy_from = e - q
    if last < len(text):
        pieces.append(text[last:])
    if len(text) > copy_from:
        items.append((copy_from, len(text), -1))
    return "".join(pieces), _compose(items, runs)


def hash_grams(docs: list[str], ngram_range: tuple[int, int], n_features: int) -> Grams:
    joined = "\x00".join(d.replace("\x00", " ") for d in docs) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    is_sep = cp == _SENTINEL
    doc_of = np.cumsum(is_sep) - is_sep  # document index of every position
    starts = np.flatnonzero(np.concatenate(([True], is_sep[:-1])))
    pos_in_doc = np.arange(len(cp)) - starts[doc_of]
    low, high = ngram_range
    docs_out, pos_out, size_out, feat_out = [], [], [], []
    h = np.zeros(len(cp), dtype=np.uint64)
    valid = np.ones(len(cp), dtype=bool)
    with np.errstate(over="ignore"):
        for n in range(1, high + 1):
            # h[i] = hash of cp[i : i+n]; valid[i] = that window holds no separator.
            h = h[: len(cp) - n + 1] * _MULT + cp[n - 1:]
            valid = valid[: len(cp) - n + 1] & ~is_sep[n - 1:]
            if n < low:
                continue
            idx = np.flatnonzero(valid)
            feats = (_mix(h[idx] ^ np.uint64(n)) % np.uint64(n_features)).astype(np.int64)
            docs_out.append(doc_of[idx])
            pos_out.append(pos_in_doc[idx])
            size_out.append(np.full(len(idx), n, dtype=np.int64))
            feat_out.append(feats)
    return Grams(doc=np.concatenate(docs_out), pos=np.concatenate(pos_out),
                 size=np.concatenate(size_out), feature=np.concatenate(feat_out))

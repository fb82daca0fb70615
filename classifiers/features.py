"""Character n-gram TF-IDF by hashing, vectorised with NumPy over a whole batch.

scikit-learn's TfidfVectorizer builds n-grams in a Python loop per document, which capped
scoring near 2,500 listings/s. Here every code point of a batch sits in one array; rolling
hashes give every n-gram at once, a sparse matrix sums them, and the same hashes tell the
reasons code which positions of the text carried which feature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

_MULT = np.uint64(0x100000001B3)  # FNV-1a prime: spreads code points before mixing
_SENTINEL = 0  # separates documents; the normaliser never emits NUL


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: near-random buckets for adjacent n-grams."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@dataclass(frozen=True)
class Grams:
    """Every n-gram occurrence of a batch: document, start position, length, feature."""

    doc: np.ndarray
    pos: np.ndarray
    size: np.ndarray
    feature: np.ndarray


def hash_grams(docs: list[str], ngram_range: tuple[int, int], n_features: int) -> Grams:
    joined = "\x00".join(d.replace("\x00", " ") for d in docs) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    is_sep = cp == _SENTINEL
    doc_of = np.cumsum(is_sep) - is_sep  # document index of every position
    starts = np.flatnonzero(np.concatenate(([True], is_sep[:-1])))
    pos_in_doc = np.arange(len(cp)) - starts[doc_of]
    low, high = ngram_range
    # A power-of-two table takes the low bits: the same bucket as the modulo, without a
    # 64-bit division per occurrence.
    mask = np.uint64(n_features - 1) if n_features & (n_features - 1) == 0 else None
    blocks: list[tuple[int, np.ndarray, np.ndarray]] = []  # (n, positions, features)
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
            mixed = _mix(h[idx] ^ np.uint64(n))
            feats = mixed & mask if mask is not None else mixed % np.uint64(n_features)
            blocks.append((n, idx, feats))
    # Written straight into the output arrays: no per-size pieces to concatenate.
    total = sum(len(idx) for _, idx, _ in blocks)
    doc = np.empty(total, dtype=np.int64)
    pos = np.empty(total, dtype=np.int64)
    size = np.empty(total, dtype=np.int64)
    feature = np.empty(total, dtype=np.int64)
    at = 0
    for n, idx, feats in blocks:
        block = slice(at, at + len(idx))
        np.take(doc_of, idx, out=doc[block])
        np.take(pos_in_doc, idx, out=pos[block])
        size[block] = n
        feature[block] = feats
        at += len(idx)
    return Grams(doc=doc, pos=pos, size=size, feature=feature)


def unique_cells(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`np.unique(key, return_inverse=True, return_counts=True)` for non-negative int64 keys.

    np.unique argsorts by comparison; keys of a batch (document × 2**20 + feature) have about
    30 bits, so an LSD radix sort (a stable numpy sort on each 16-bit digit, which numpy does
    by radix) orders them in a few linear passes instead.
    """
    if not len(key):
        return (key.copy(), np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))
    high = int(key.max())
    order = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while high >> shift:
        digit = ((key[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    ordered = key[order]
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    where = np.empty(len(key), dtype=np.intp)
    where[order] = np.cumsum(new) - 1
    counts = np.diff(starts, append=len(key))
    return ordered[starts], where, counts


class HashedCharTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over hashed character n-grams (sublinear tf, smooth idf, L2 rows)."""

    def __init__(self, ngram_range: tuple[int, int] = (1, 3), n_features: int = 2**20,
                 min_df: int = 2) -> None:
        self.ngram_range = ngram_range
        self.n_features = n_features
        self.min_df = min_df

    def _counts(self, grams: Grams, n_docs: int) -> sp.csr_matrix:
        ones = np.ones(len(grams.doc), dtype=np.float32)
        return sp.csr_matrix((ones, (grams.doc, grams.feature)),
                             shape=(n_docs, self.n_features))

    def fit(self, X: list[str], y: object = None) -> HashedCharTfidf:  # noqa: N803
        counts = self._counts(hash_grams(list(X), self.ngram_range, self.n_features), len(X))
        df = np.bincount(counts.indices, minlength=self.n_features)
        idf = np.log((1 + len(X)) / (1 + df)) + 1.0
        # Features seen in fewer than min_df documents carry noise, not signal.
        self.idf_ = np.where(df >= self.min_df, idf, 0.0).astype(np.float32)
        return self

    def transform(self, X: list[str]) -> sp.csr_matrix:  # noqa: N803
        x = self.transform_grams(list(X))[0]
        x.eliminate_zeros()
        return x

    def transform_grams(self, docs: list[str]) -> tuple[sp.csr_matrix, Grams, np.ndarray]:
        """TF-IDF rows, the n-gram occurrences, and each occurrence's index into `x.data`."""
        grams = hash_grams(docs, self.ngram_range, self.n_features)
        key = grams.doc * self.n_features + grams.feature
        cells, where, counts = unique_cells(key)
        rows, cols = cells // self.n_features, cells % self.n_features
        data = ((1.0 + np.log(counts)) * self.idf_[cols]).astype(np.float32)
        norms = np.sqrt(np.bincount(rows, weights=data.astype(np.float64) ** 2,
                                    minlength=len(docs)))
        data /= np.where(norms > 0, norms, 1.0)[rows].astype(np.float32)
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(docs)), out=indptr[1:])
        # Cells of unseen features stay as explicit zeros so `where` keeps pointing right.
        x = sp.csr_matrix((data, cols, indptr), shape=(len(docs), self.n_features))
        return x, grams, where

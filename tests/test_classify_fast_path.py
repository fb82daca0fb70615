"""The fast scoring path gives exactly what the reference path gives.

The speed work (see README "Classifier speed") replaced sorts, lookups and per-character calls
in the scoring path; `tests/classify_reference.py` keeps the code it replaced. Equal means
equal: the same labels, scores, reason spans and weights, and attributes, on the sandbox's
ground truth and on the held-out corpus, in batches of several sizes.
"""

from __future__ import annotations

import gc
import random

import numpy as np
import pytest

from classifiers import normalize as normalize_module
from classifiers.corpus import load_corpus, split
from classifiers.features import hash_grams, unique_cells
from classifiers.scoring import Classifier
from sandbox.truth import listings
from tests import classify_reference as reference

EDGE_ITEMS = [("", ""), ("", "挂证"), ("挂证", ""), ("  ", "\n"), ("标题", "正文，，，。"),
              ("掛 證", "一建挂证 年薪3万 微信 gz_888888 电话 138 1234 5678"),
              ("", "！！！挂证！！！" * 40)]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


@pytest.fixture(scope="module")
def truth_items() -> list[tuple[str, str]]:
    return [(t.title, t.text) for t in listings()]


@pytest.fixture(scope="module")
def heldout_items() -> list[tuple[str, str]]:
    return [(ex.title, ex.text) for ex in split(load_corpus())[1]]


def _assert_same(classifier: Classifier, items: list[tuple[str, str]], batch: int) -> None:
    for i in range(0, len(items), batch):
        chunk = items[i:i + batch]
        fast = classifier.classify_many(chunk)
        slow = reference.classify_many(classifier, chunk)
        for item, f, s in zip(chunk, fast, slow, strict=True):
            assert f == s, item
            assert [r.field for r in f.reasons] == [r.field for r in s.reasons]


@pytest.mark.parametrize("batch", [512, 37])
def test_sandbox_truth_scores_as_the_reference(classifier: Classifier,
                                               truth_items: list[tuple[str, str]],
                                               batch: int) -> None:
    _assert_same(classifier, truth_items + EDGE_ITEMS, batch)


def test_heldout_corpus_scores_as_the_reference(classifier: Classifier,
                                                heldout_items: list[tuple[str, str]]) -> None:
    assert len(heldout_items) > 300
    _assert_same(classifier, heldout_items, 512)
    _assert_same(classifier, heldout_items[:40], 1)


def test_character_folding_is_the_plain_translation(truth_items: list[tuple[str, str]],
                                                    heldout_items: list[tuple[str, str]]) -> None:
    tables = normalize_module.load_tables()
    rng = random.Random(11)
    keys = sorted(tables.one_to_one)
    texts = [f"{title}\n{text}" for title, text in truth_items + heldout_items]
    # Many distinct foldable characters, chains (a folded character folded again) and none.
    texts += ["".join(chr(rng.choice(keys)) for _ in range(rng.randint(1, 80))) + "挂证"
              for _ in range(300)]
    texts += ["plain ascii", "", "全是简体中文没有要改的字"]
    for text in texts:
        assert normalize_module._fold_characters(text, tables) == reference.translate_characters(
            text, tables.one_to_one), text


def test_unique_cells_is_numpy_unique(truth_items: list[tuple[str, str]]) -> None:
    rng = np.random.default_rng(5)
    grams = hash_grams([f"{a}\n{b}" for a, b in truth_items], (1, 3), 2**20)
    keys = [grams.doc * 2**20 + grams.feature, np.zeros(0, dtype=np.int64),
            np.array([7], dtype=np.int64), np.array([2**16, 2**16 - 1, 0], dtype=np.int64)]
    keys += [rng.integers(0, high, size).astype(np.int64)
             for size, high in [(1000, 2**16), (50_000, 2**31), (20_000, 2**45), (300, 3)]]
    for key in keys:
        expected = np.unique(key, return_inverse=True, return_counts=True)
        for got, want in zip(unique_cells(key), expected, strict=True):
            assert got.dtype == want.dtype and np.array_equal(got, want)


def test_batches_leave_the_garbage_collector_as_they_found_it(classifier: Classifier) -> None:
    assert gc.isenabled()
    classifier.classify_many(EDGE_ITEMS)
    assert gc.isenabled()
    gc.disable()
    try:
        classifier.classify_many(EDGE_ITEMS)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_normalisation_maps_as_the_reference(truth_items: list[tuple[str, str]],
                                             heldout_items: list[tuple[str, str]]) -> None:
    texts = [f"{title}\n{text}" if title else text for title, text in truth_items + heldout_items]
    texts += [title + text for title, text in EDGE_ITEMS]
    texts += ["掛 證 ｖ信：幺三八 一二三四 五六七八\n\n  包*過  ", "ＡＢＣ\u3000\u3000def",
              "\ud800x"]
    for text in texts:
        fast, slow = normalize_module.normalize(text), reference.normalize(text)
        assert (fast.text, fast.offsets) == (slow.text, slow.offsets), text
        assert fast.runs is not None and slow.runs is not None
        ends = [fast.runs.end_of(i) for i in range(len(fast.text))]
        assert ends == [slow.runs.end_of(i) for i in range(len(slow.text))], text


def test_hashed_grams_are_the_reference(truth_items: list[tuple[str, str]],
                                        heldout_items: list[tuple[str, str]]) -> None:
    texts = [normalize_module.normalize(f"{title}\n{text}").text
             for title, text in truth_items + heldout_items]
    batches = [texts[:512], texts[512:], [""], ["", "a", ""], ["\x00挂\x00证"], texts[:3]]
    for docs in batches:
        for ngram_range, n_features in [((1, 3), 2**20), ((2, 3), 1000), ((1, 1), 2**4)]:
            fast = hash_grams(docs, ngram_range, n_features)
            slow = reference.hash_grams(docs, ngram_range, n_features)
            for name in ("doc", "pos", "size", "feature"):
                got, want = getattr(fast, name), getattr(slow, name)
                assert got.dtype == want.dtype and np.array_equal(got, want), name

"""Scoring in a child process gives exactly the in-process verdicts, says clearly when the
model is missing or the child died, and is not stopped by a Ctrl-C meant for the crawl."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from classifiers.errors import ModelUnavailable
from classifiers.listing_scorer import make_scorer
from classifiers.scoring import Classifier
from classifiers.scoring_process import ScoringFailed, ScoringProcess
from sandbox.truth import DEFAULT_SEED
from sandbox.truth import listings as truth_listings
from store.clock import utcnow
from store.recorder import ListingData


def _items(n: int = 60) -> list[ListingData]:
    truth = [t for t in truth_listings(DEFAULT_SEED, 1)][:n]
    return [ListingData(key=str(i), url=t.url, title=t.title, text=t.text, seen_at=utcnow())
            for i, t in enumerate(truth)]


@pytest.fixture(scope="module")
def scorer():  # noqa: ANN201 - ScoringProcess
    process = ScoringProcess()
    yield process
    process.close()


def test_the_child_gives_the_in_process_verdicts(scorer: ScoringProcess) -> None:
    items = _items()
    classifier = Classifier.load()
    assert scorer.model_version == classifier.version
    assert scorer(items) == make_scorer(classifier)(items)
    assert {v["label"] for v in scorer(items)} - {"benign"}  # fraud among them, not all benign
    assert scorer([]) == []


def test_a_ctrl_c_for_the_crawl_does_not_stop_the_scorer(scorer: ScoringProcess) -> None:
    os.kill(scorer._proc.pid, signal.SIGINT)  # the handshake came after its handlers were set
    os.kill(scorer._proc.pid, signal.SIGTERM)
    time.sleep(0.2)
    assert len(scorer(_items(3))) == 3


def test_no_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTWATCH_MODEL_DIR", str(tmp_path))
    with pytest.raises(ModelUnavailable):
        ScoringProcess()


def test_a_dead_scorer_fails_the_batch_instead_of_hanging() -> None:
    process = ScoringProcess()
    process._proc.kill()
    process._proc.wait()
    with pytest.raises(ScoringFailed, match="scoring process"):
        process(_items(2))
    process.close()

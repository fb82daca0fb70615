"""Unicode edge cases: no crash, a valid result (or a clear error) for any input."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from classifiers.corpus import LABELS
from classifiers.scoring import Classifier, Verdict, representable
from tests.conftest import certwatch
from tests.scaling import assert_near_linear

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates and controls too


@functools.cache
def classifier() -> Classifier:
    return Classifier.load()


def assert_valid(verdict: Verdict, text: str, title: str = "") -> None:
    assert verdict.label in LABELS
    assert 0.0 <= verdict.score <= 1.0
    assert abs(sum(verdict.scores.values()) - 1.0) < 0.01
    for reason in verdict.reasons:
        source = title if reason.field == "title" else text
        assert 0 <= reason.start <= reason.end <= len(source)
        # A lone surrogate cannot be echoed as UTF-8: U+FFFD stands in for it, one for one.
        assert representable(source[reason.start:reason.end]) == reason.text
    # Strict UTF-8 (no surrogatepass): what `certwatch classify` must be able to write.
    json.dumps(verdict.as_dict(), ensure_ascii=False).encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(ANY_CHAR, max_size=400), title=st.text(ANY_CHAR, max_size=40))
@example(text="", title="000\ud8000")  # a reason spanning the surrogate once echoed it raw
@example(text="V信 gz\udc80_8821 一建挂证\ud800", title="")
def test_any_text_gets_a_valid_verdict(text: str, title: str) -> None:
    assert_valid(classifier().classify(text, title), text, title)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["挂证", "證", "二J", "ｇｕａ", "①③⑧", "Москва", "مرحبا",
                                 "😀", "\u200b", "\x00", "\x1b[31m", " ", "\n", "包*过",
                                 "\ud800", "wx:", "一三八"]), max_size=60))
def test_mixed_scripts_and_tricks(parts: list[str]) -> None:
    text = "".join(parts)
    assert_valid(classifier().classify(text), text)


def test_empty_and_whitespace() -> None:
    for text in ("", " ", "\n\n", "\u3000"):
        verdict = classifier().classify(text)
        assert_valid(verdict, text)
        assert verdict.reasons == []


def test_one_megabyte_text_costs_no_more_than_linear_work() -> None:
    text = ("诚聘二级建造师，驻场，缴纳社保。" * 70_000)[: 1 << 20]
    assert_valid(classifier().classify(text), text)
    # n-gram counting sorts, so a little over linear is expected: more slack than for the
    # normaliser alone, still far below the 16x excess of quadratic work.
    assert_near_linear(classifier().classify, text, slack=6.0)


def test_cli_survives_lone_surrogates_and_controls(tmp_path: Path) -> None:
    lines = ['{"id": 1, "text": "\\ud800挂证\\u0000\\u001b"}', '{"id": 2, "text": ""}']
    proc = certwatch("classify", home=tmp_path, stdin="\n".join(lines) + "\n")
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, 2]
    assert all(o["label"] in LABELS for o in out)

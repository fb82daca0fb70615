"""The crawl's scorer hook stores exactly what the classifier's verdict says."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from classifiers.errors import ModelUnavailable
from classifiers.listing_scorer import verdict_columns
from classifiers.scoring import Classifier


def test_verdict_columns_match_the_verdict() -> None:
    try:
        classifier = Classifier.load()
    except ModelUnavailable as exc:
        pytest.skip(f"no trained model: {exc}")
    verdicts = classifier.classify_many([
        ("急聘一级建造师", "挂证 不用到岗 年薪3万 V信 13812345678"),
        ("电工证直接拿证", "不用考试 官网可查 包过"),
        ("施工员", "驻场施工，公司缴纳社保"),
    ])
    assert any(v.reasons for v in verdicts)
    for verdict in verdicts:
        columns = verdict_columns(verdict)
        assert columns["reasons"] == [asdict(r) for r in verdict.reasons]
        assert (columns["label"], columns["score"], columns["scores"]) == \
            (verdict.label, verdict.score, verdict.scores)
        assert [c["key"] for c in columns["contacts"]] == \
            [c["key"] for c in verdict.attributes.get("contacts", ())]

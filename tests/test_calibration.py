"""Risk calibration and the cross-validation folds it learns from."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from classifiers.calibration import RiskCalibrator, risk_logit, softmax
from classifiers.corpus import Example, load_corpus, near_duplicate_groups, split
from classifiers.crossval import FOLDS, assign_folds, best_calibration


def _overconfident(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw risk logits three times too far from 0 for how often they are right."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n)
    is_fraud = rng.random(n) < truth
    return 3.0 * np.log(truth / (1.0 - truth)), is_fraud


def _ece(risk: np.ndarray, is_fraud: np.ndarray) -> float:
    from classifiers.evaluate import calibration_error

    return calibration_error(list(risk), list(is_fraud))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_repairs_overconfident_risks(method: str) -> None:
    raw, is_fraud = _overconfident(4000)
    test_raw, test_fraud = _overconfident(4000, seed=1)
    calibrator = RiskCalibrator(method).fit(raw, is_fraud)
    before = _ece(expit(test_raw), test_fraud)
    after = _ece(calibrator.transform(test_raw), test_fraud)
    assert before > 0.05 and after < before / 2, (before, after)


def test_sigmoid_keeps_the_ranking() -> None:
    raw, is_fraud = _overconfident(2000)
    grid = np.linspace(-40.0, 40.0, 801)
    mapped = RiskCalibrator("sigmoid").fit(raw, is_fraud).transform(grid)
    assert np.all(np.diff(mapped) > 0)


def test_saturated_scores_keep_their_order() -> None:
    """An SVM's scores times a temperature make P(benign) underflow far below 1e-6: the risk
    logit, computed from the scores, still orders such ads (risks 1 − P(benign) would tie)."""
    scores = np.array([[-40.0, 5.0, 0.0, 0.0],   # benign first, as index 0
                       [-60.0, 5.0, 0.0, 0.0],
                       [-90.0, 5.0, 0.0, 0.0]])
    logit = risk_logit(scores, benign=0)
    assert np.all(np.diff(logit) > 0)
    proba = softmax(scores)
    assert len(set((1.0 - proba[:, 0]).tolist())) == 1  # what a probability would make of them
    # Out-of-fold logits on the scale of such scores (tens): the fitted map is gentle enough
    # that the calibrated risks differ at the four decimals a verdict keeps.
    raw, is_fraud = _overconfident(2000)
    calibrated = RiskCalibrator("sigmoid").fit(raw * 10.0, is_fraud).transform(logit)
    assert np.all(np.diff(np.round(calibrated, 4)) > 0), calibrated


def test_calibrated_proba_keeps_fraud_shares() -> None:
    raw, is_fraud = _overconfident(2000)
    calibrator = RiskCalibrator("sigmoid").fit(raw, is_fraud)
    scores = np.log(np.array([[0.6, 0.1, 0.2, 0.1],   # benign first here, as index 0
                              [0.05, 0.7, 0.05, 0.2]]))
    proba, logit = softmax(scores), risk_logit(scores, benign=0)
    out = calibrator.calibrate_proba(proba, 0, logit)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    np.testing.assert_allclose(1.0 - out[:, 0], calibrator.transform(logit))
    for row in range(2):
        np.testing.assert_allclose(out[row, 1:] / out[row, 1:].sum(),
                                   proba[row, 1:] / proba[row, 1:].sum())
    # Fraud mass below the rounding of 1 − P(benign) (an empty text): shares still sum up.
    scores = np.array([[0.0, -36.7, -36.7, -36.7]])  # P(fraud) 3.5e-16, 1 − P(benign) 6.7e-16
    out = calibrator.calibrate_proba(softmax(scores), 0, risk_logit(scores, benign=0))
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    # No raw fraud mass at all: still a distribution.
    empty = calibrator.calibrate_proba(np.array([[1.0, 0.0, 0.0, 0.0]]), 0, np.array([-50.0]))
    np.testing.assert_allclose(empty.sum(axis=1), 1.0)
    assert np.all(empty[0, 1:] >= 0)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of"):
        RiskCalibrator("platt").fit(np.zeros(3), np.zeros(3))


def test_folds_keep_near_duplicates_together() -> None:
    train, _ = split(load_corpus())
    fold = assign_folds(train)
    groups = near_duplicate_groups(train)
    by_group: dict[int, set[int]] = {}
    for g, f in zip(groups, fold.tolist(), strict=True):
        by_group.setdefault(g, set()).add(f)
    assert all(len(folds) == 1 for folds in by_group.values())
    assert sorted(set(fold.tolist())) == list(range(FOLDS))
    # Balanced enough that every fold holds every label.
    for k in range(FOLDS):
        assert {ex.label for ex, f in zip(train, fold, strict=True) if f == k} == {
            "benign", "guazheng", "fake_cert", "exam_fraud"}


def test_folds_are_seeded() -> None:
    """Training's calibrator and the threshold study depend on the folds: same texts, same
    folds in every run; another seed deals them differently."""
    rng = np.random.default_rng(0)
    examples = [Example(id=str(i), label=label,
                        text="".join(chr(c) for c in rng.integers(0x4E00, 0x9FA5, 12)))
                for i, label in enumerate(["benign", "guazheng", "fake_cert", "exam_fraud"] * 10)]
    first = assign_folds(examples).tolist()
    assert assign_folds(examples).tolist() == first
    assert assign_folds(examples, seed=1).tolist() != first


def test_chosen_calibration_keeps_the_ranking() -> None:
    """Isotonic steps would tie listings analysts sort by score; it is never chosen, however
    low its ECE; between the others the simpler wins within the tolerance."""
    assert best_calibration({"none": 0.04, "sigmoid": 0.009, "isotonic": 0.001}) == "sigmoid"
    assert best_calibration({"none": 0.0101, "sigmoid": 0.009, "isotonic": 0.001}) == "none"


@pytest.mark.parametrize("linear", ["svm", "logistic"])
def test_raw_probabilities_and_logits_of_either_linear_model(linear: str) -> None:
    """The softmax of the scores is the model's own probability where it has one (logistic
    regression), and the risk logit is log P(fraud) − log P(benign) of it."""
    from classifiers.model import RiskCalibrated

    rng = np.random.default_rng(0)
    x = rng.random((80, 6))
    y = np.array(["benign", "guazheng", "fake_cert", "exam_fraud"] * 20)
    x[np.arange(80), np.arange(80) % 4] += 2.0  # each class leans on its own feature
    clf = RiskCalibrated(c=1.0, calibration="none", linear=linear, temperature=3.0).fit(x, y)
    proba, logit = clf.raw(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    if linear == "logistic":
        np.testing.assert_allclose(proba, clf.linear_.predict_proba(x), rtol=1e-9)
    fraud = 1.0 - proba[:, clf.benign_]
    np.testing.assert_allclose(logit, np.log(fraud / proba[:, clf.benign_]), rtol=1e-6)
    assert (clf.predict(x) == y).mean() > 0.9
    with pytest.raises(ValueError, match="not one of"):
        RiskCalibrated(calibration="none", linear="forest").fit(x, y)

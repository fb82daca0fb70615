"""Calibrate the risk score: a one-dimensional map fitted on out-of-fold predictions.

The risk score (1 − P(benign)) is what analysts sort by and what the fraud threshold cuts,
so that is the quantity calibrated. The map reads the raw risk as a log-odds ("risk logit",
log P(fraud) − log P(benign), computed from the model's class scores): a linear SVM's
softmaxed scores put most ads within 1e-6 of a risk of 0 or 1, where a probability in
floating point would tie them, so the logit keeps their order. The fraud classes keep their
shares of the calibrated risk, which leaves the choice among them, and the linear model's
per-feature reasons, as they were.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

METHODS = ("none", "sigmoid", "isotonic")


def risk_logit(scores: np.ndarray, benign: int) -> np.ndarray:
    """log P(fraud) − log P(benign) of softmax(scores), without forming the probabilities."""
    fraud = np.delete(scores, benign, axis=1)
    return logsumexp(fraud, axis=1) - scores[:, benign]


def softmax(scores: np.ndarray) -> np.ndarray:
    out = scores - scores.max(axis=1, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


class RiskCalibrator(BaseEstimator):
    """Maps a raw risk logit to a calibrated risk in [0, 1].

    `sigmoid` is Platt scaling on the logit (two parameters, strictly increasing, so the
    ranking of listings is kept); `isotonic` is a monotone step function (ties listings whose
    logits fall on one step); `none` is the plain logistic function of the logit.
    """

    def __init__(self, method: str = "sigmoid") -> None:
        self.method = method

    def fit(self, logit: np.ndarray, is_fraud: np.ndarray) -> RiskCalibrator:
        if self.method not in METHODS:
            raise ValueError(f"calibration method {self.method!r} is not one of {METHODS}")
        z = np.asarray(logit, dtype=np.float64)
        y = np.asarray(is_fraud, dtype=np.float64)
        # Plain floats: applying the map is a few NumPy operations per batch, no estimator.
        self.slope_, self.intercept_ = 1.0, 0.0
        self.knots_x_ = self.knots_y_ = np.zeros(0)
        if self.method == "sigmoid":
            # Nearly unregularised: two parameters fitted on thousands of predictions.
            platt = LogisticRegression(C=1e4).fit(z[:, None], y)
            self.slope_ = float(platt.coef_[0, 0])
            self.intercept_ = float(platt.intercept_[0])
        elif self.method == "isotonic":
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(z, y)
            self.knots_x_, self.knots_y_ = iso.X_thresholds_, iso.y_thresholds_
        return self

    def transform(self, logit: np.ndarray) -> np.ndarray:
        z = np.asarray(logit, dtype=np.float64)
        if self.method == "sigmoid":
            return expit(self.slope_ * z + self.intercept_)
        if self.method == "isotonic":
            return np.interp(z, self.knots_x_, self.knots_y_)
        return expit(z)

    def calibrate_proba(self, proba: np.ndarray, benign: int, logit: np.ndarray) -> np.ndarray:
        """Class probabilities whose risk column is calibrated; fraud classes keep shares."""
        risk = self.transform(logit)
        # Summed, not 1 − P(benign): near P(benign) = 1 that difference is rounding noise.
        fraud_mass = np.delete(proba, benign, axis=1).sum(axis=1)
        # No raw fraud mass at all: the (tiny) calibrated risk is split evenly between the
        # fraud classes.
        n_fraud = proba.shape[1] - 1
        scale = np.divide(risk, fraud_mass, out=np.zeros_like(risk), where=fraud_mass > 0)
        out = proba * scale[:, None]
        out[fraud_mass <= 0] = risk[fraud_mass <= 0, None] / n_fraud
        out[:, benign] = 1.0 - risk
        return out

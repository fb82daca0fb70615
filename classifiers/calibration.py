"""Calibrate the risk score: a one-dimensional map fitted on out-of-fold predictions.

The risk score (1 − P(benign)) is what analysts sort by and what the fraud threshold cuts,
so that is the quantity calibrated. The fraud classes keep their shares of the calibrated
risk, which leaves the choice among them, and the linear model's per-feature reasons, as
they were.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

METHODS = ("none", "sigmoid", "isotonic")
_EPS = 1e-6  # keeps logit(risk) finite for risks of exactly 0 or 1


def _logit(risk: np.ndarray) -> np.ndarray:
    p = np.clip(risk, _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


class RiskCalibrator(BaseEstimator):
    """Maps a raw risk in [0, 1] to a calibrated one.

    `sigmoid` is Platt scaling on the logit of the risk (two parameters, strictly
    increasing, so the ranking of listings is kept); `isotonic` is a monotone step
    function (ties listings whose raw risks fall on one step); `none` is the identity.
    """

    def __init__(self, method: str = "sigmoid") -> None:
        self.method = method

    def fit(self, risk: np.ndarray, is_fraud: np.ndarray) -> RiskCalibrator:
        if self.method not in METHODS:
            raise ValueError(f"calibration method {self.method!r} is not one of {METHODS}")
        risk = np.asarray(risk, dtype=np.float64)
        y = np.asarray(is_fraud, dtype=np.float64)
        # Plain floats: applying the map is a few NumPy operations per batch, no estimator.
        self.slope_, self.intercept_ = 1.0, 0.0
        self.knots_x_ = self.knots_y_ = np.zeros(0)
        if self.method == "sigmoid":
            # Nearly unregularised: two parameters fitted on thousands of predictions.
            platt = LogisticRegression(C=1e4).fit(_logit(risk)[:, None], y)
            self.slope_ = float(platt.coef_[0, 0])
            self.intercept_ = float(platt.intercept_[0])
        elif self.method == "isotonic":
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(risk, y)
            self.knots_x_, self.knots_y_ = iso.X_thresholds_, iso.y_thresholds_
        return self

    def transform(self, risk: np.ndarray) -> np.ndarray:
        risk = np.asarray(risk, dtype=np.float64)
        if self.method == "sigmoid":
            return 1.0 / (1.0 + np.exp(-(self.slope_ * _logit(risk) + self.intercept_)))
        if self.method == "isotonic":
            return np.interp(risk, self.knots_x_, self.knots_y_)
        return risk

    def calibrate_proba(self, proba: np.ndarray, benign: int) -> np.ndarray:
        """Class probabilities whose risk column is calibrated; fraud classes keep shares."""
        raw = 1.0 - proba[:, benign]
        risk = self.transform(raw)
        # A raw risk of exactly 0 has no shares to keep: its (tiny) calibrated risk is split
        # evenly between the fraud classes.
        n_fraud = proba.shape[1] - 1
        scale = np.divide(risk, raw, out=np.zeros_like(raw), where=raw > 0)
        out = proba * scale[:, None]
        out[raw <= 0] = risk[raw <= 0, None] / n_fraud
        out[:, benign] = 1.0 - risk
        return out

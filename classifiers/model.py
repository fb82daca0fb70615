"""The scikit-learn pipeline, and the artifact + metadata pair it is saved as.

Character n-grams over normalised text suit Chinese (no word boundaries) and survive the
evasion tricks the normaliser cannot fold. The linear model (a linear SVM or logistic
regression, chosen by cross-validation) gives per-feature reasons (its coefficients). Its raw
class scores are not probabilities to trust, so the risk score passes through a calibrator
fitted on out-of-fold predictions of the training split (classifiers.calibration,
classifiers.crossval).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from certwatch import __version__
from classifiers.calibration import RiskCalibrator, risk_logit, softmax
from classifiers.errors import ModelUnavailable
from classifiers.features import HashedCharTfidf
from classifiers.normalize import load_tables, normalize

# 2: the classifier step is RiskCalibrated (format 1 held the bare, uncalibrated model).
# 3: RiskCalibrated chooses its linear model (`linear`, `temperature`).
# 4: the calibrator maps risk logits, not risks.
MODEL_FORMAT = 4
# A listing is called fraud only when its calibrated risk 1 − P(benign) reaches this; below it
# the label is benign whatever the argmax: a false accusation costs an analyst more than a
# miss. Threshold, linear model, C, temperature, hard-benign weight, calibration method and
# n-gram length come from `certwatch train --cv` (classifiers/crossval.py: 5-fold CV on the
# training split, never the held-out one); its last run and what it recommended are in README
# "The classifier".
FRAUD_THRESHOLD = 0.60
LINEAR = "svm"  # "svm" (LinearSVC) or "logistic" (LogisticRegression)
C = 1.0
# An SVM's class scores become raw probabilities by softmax(TEMPERATURE × score); the
# calibrator then maps the resulting risk log-odds. Higher: the risk follows the margin
# between the best fraud class and benign more closely.
TEMPERATURE = 30.0
HARD_BENIGN_WEIGHT = 1.0
CALIBRATION = "sigmoid"
NGRAM_MAX = 2  # character 1- to NGRAM_MAX-grams
LINEAR_MODELS = ("svm", "logistic")
DEFAULT_MODEL_DIR = Path(__file__).parent / "model"
ARTIFACT = "model.joblib"
METADATA = "model.json"


class NormalizeText(TransformerMixin, BaseEstimator):
    """Pipeline step: raw text → normalised text (see classifiers.normalize)."""

    def fit(self, X: Any, y: Any = None) -> NormalizeText:  # noqa: N803 - sklearn's names
        return self

    def transform(self, X: Any) -> list[str]:  # noqa: N803
        return [normalize(x).text for x in X]


class RiskCalibrated(ClassifierMixin, BaseEstimator):
    """A linear model whose risk (1 − P(benign)) passes through a RiskCalibrator.

    `linear` is "svm" (one-vs-rest LinearSVC; raw probabilities are a softmax of its scores
    times `temperature`) or "logistic" (multinomial LogisticRegression, whose probabilities
    are the softmax of its scores; `temperature` unused). The calibrator learns from
    out-of-fold risk logits passed to `fit` (`oof_logit`, `oof_fraud`): those this model's own
    training rows would give are over-confident. Reasons read the linear model's coefficients
    (`coef_`).
    """

    def __init__(self, c: float = C, seed: int = 0, calibration: str = CALIBRATION,
                 linear: str = LINEAR, temperature: float = TEMPERATURE) -> None:
        self.c = c
        self.seed = seed
        self.calibration = calibration
        self.linear = linear
        self.temperature = temperature

    def fit(self, X: Any, y: Any, sample_weight: Any = None,  # noqa: N803
            oof_logit: Any = None, oof_fraud: Any = None) -> RiskCalibrated:
        if self.calibration != "none" and oof_logit is None:
            raise ValueError("calibration needs out-of-fold risk logits (oof_logit, oof_fraud)")
        if self.linear == "svm":
            self.linear_ = LinearSVC(C=self.c, max_iter=20000, random_state=self.seed)
        elif self.linear == "logistic":
            self.linear_ = LogisticRegression(C=self.c, max_iter=5000, random_state=self.seed)
        else:
            raise ValueError(f"linear model {self.linear!r} is not one of {LINEAR_MODELS}")
        self.linear_.fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.linear_.classes_
        self.benign_ = int(np.flatnonzero(self.classes_ == "benign")[0])
        self.calibrator_ = RiskCalibrator(self.calibration)
        if self.calibration == "none":
            self.calibrator_.fit(np.zeros(0), np.zeros(0))
        else:
            self.calibrator_.fit(oof_logit, oof_fraud)
        return self

    @property
    def coef_(self) -> np.ndarray:
        return self.linear_.coef_

    def scores(self, X: Any) -> np.ndarray:  # noqa: N803
        """Class scores whose softmax is the uncalibrated class probabilities."""
        scores = self.linear_.decision_function(X)
        return scores * self.temperature if self.linear == "svm" else scores

    def raw(self, X: Any) -> tuple[np.ndarray, np.ndarray]:  # noqa: N803
        """Uncalibrated class probabilities and risk logits."""
        scores = self.scores(X)
        return softmax(scores), risk_logit(scores, self.benign_)

    def predict_proba(self, X: Any) -> np.ndarray:  # noqa: N803
        proba, logit = self.raw(X)
        return self.calibrator_.calibrate_proba(proba, self.benign_, logit)

    def predict(self, X: Any) -> np.ndarray:  # noqa: N803
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def decide(proba: np.ndarray, benign: int, threshold: float) -> np.ndarray:
    """Label index per row: the best fraud class where the risk reaches `threshold`, else
    benign."""
    fraud = proba.copy()
    fraud[:, benign] = -1.0
    return np.where(1.0 - proba[:, benign] >= threshold, fraud.argmax(axis=1), benign)


def build_pipeline(c: float = C, seed: int = 0, calibration: str = CALIBRATION,
                   ngram_max: int = NGRAM_MAX, linear: str = LINEAR,
                   temperature: float = TEMPERATURE) -> Pipeline:
    return Pipeline([
        ("normalize", NormalizeText()),
        ("tfidf", HashedCharTfidf(ngram_range=(1, ngram_max), n_features=2**20, min_df=2)),
        ("clf", RiskCalibrated(c=c, seed=seed, calibration=calibration, linear=linear,
                               temperature=temperature)),
    ])


def model_dir() -> Path:
    return Path(os.environ.get("CERTWATCH_MODEL_DIR") or DEFAULT_MODEL_DIR)


def environment() -> dict[str, str]:
    """The versions a saved model depends on; any difference refuses the load."""
    return {"python": platform.python_version(), "sklearn": sklearn.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class SavedModel:
    pipeline: Pipeline
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        return self.metadata["version"]


def save(pipeline: Pipeline, metadata: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or model_dir()
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    os.close(fd)
    joblib.dump(pipeline, tmp, compress=3)
    artifact_hash = _sha256(Path(tmp))
    meta = {**metadata, "format": MODEL_FORMAT, "certwatch": __version__,
            "environment": environment(), "artifact_sha256": artifact_hash,
            "normalizer_tables": load_tables().fingerprint,
            "version": f"{metadata['training_data_sha256'][:8]}-{artifact_hash[:8]}"}
    os.replace(tmp, directory / ARTIFACT)
    meta_tmp = directory / f".{METADATA}.tmp"
    meta_tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
    os.replace(meta_tmp, directory / METADATA)
    return directory


def check_metadata(meta: dict[str, Any], artifact: Path,
                   corpus_sha256: str | None) -> list[str]:
    """Why this artifact must not be loaded here (empty when it may)."""
    problems = []
    if meta.get("format") != MODEL_FORMAT:
        problems.append(f"format {meta.get('format')} (this certwatch reads {MODEL_FORMAT})")
    for name, have in environment().items():
        built = meta.get("environment", {}).get(name)
        if built != have and name != "python":
            problems.append(f"{name} {built} at training, {have} installed")
    if _sha256(artifact) != meta.get("artifact_sha256"):
        problems.append("the artifact's SHA-256 does not match its metadata (altered or torn)")
    if corpus_sha256 is not None and meta.get("training_data_sha256") != corpus_sha256:
        problems.append("the training corpus has changed since this model was trained")
    if meta.get("normalizer_tables") != load_tables().fingerprint:
        problems.append("the normaliser's folding tables have changed since training")
    return problems


def load(directory: Path | None = None, corpus_sha256: str | None = None) -> SavedModel:
    """Load, refusing an artifact whose metadata does not match this installation."""
    directory = directory or model_dir()
    artifact, meta_path = directory / ARTIFACT, directory / METADATA
    if not artifact.is_file() or not meta_path.is_file():
        raise ModelUnavailable(
            f"no trained model in {directory}: run `certwatch train` (make install does)")
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelUnavailable(f"{meta_path}: unreadable model metadata: {exc}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("environment", {}), dict):
        raise ModelUnavailable(f"{meta_path}: model metadata is not a JSON object of fields")
    problems = check_metadata(meta, artifact, corpus_sha256)
    if problems:
        raise ModelUnavailable(
            f"refusing the model in {directory}: {'; '.join(problems)}. "
            "Run `certwatch train` to rebuild it.")
    # Only after the hash check: the artifact is a pickle and must be the one we wrote.
    return SavedModel(pipeline=joblib.load(artifact), metadata=meta)

"""The scikit-learn pipeline, and the artifact + metadata pair it is saved as.

Character n-grams over normalised text suit Chinese (no word boundaries) and survive the
evasion tricks the normaliser cannot fold. Logistic regression is trained on log-loss, so its
probabilities are calibrated by construction (the metadata records the measured ECE), and its
coefficients give per-feature reasons.
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
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from certwatch import __version__
from classifiers.errors import ModelUnavailable
from classifiers.features import HashedCharTfidf
from classifiers.normalize import load_tables, normalize

MODEL_FORMAT = 1
# A listing is called fraud only when P(fraud) = 1 − P(benign) reaches this; below it the
# label is benign whatever the argmax: a false accusation costs an analyst more than a miss.
# Threshold, hard-benign weight and augmentation copies were chosen together by 5-fold CV on
# the training split (augmenting inside the folds), never on the held-out split: one copy,
# weight 1, threshold 0.6 gave the best macro-F1 (0.962), obfuscated recall 0.94 and 1.7%
# false positives on hard benign.
FRAUD_THRESHOLD = 0.6
HARD_BENIGN_WEIGHT = 1.0
DEFAULT_MODEL_DIR = Path(__file__).parent / "model"
ARTIFACT = "model.joblib"
METADATA = "model.json"


class NormalizeText(TransformerMixin, BaseEstimator):
    """Pipeline step: raw text → normalised text (see classifiers.normalize)."""

    def fit(self, X: Any, y: Any = None) -> NormalizeText:  # noqa: N803 - sklearn's names
        return self

    def transform(self, X: Any) -> list[str]:  # noqa: N803
        return [normalize(x).text for x in X]


def build_pipeline(c: float = 10.0, seed: int = 0) -> Pipeline:
    return Pipeline([
        ("normalize", NormalizeText()),
        ("tfidf", HashedCharTfidf(ngram_range=(1, 3), n_features=2**20, min_df=2)),
        ("clf", LogisticRegression(C=c, max_iter=5000, random_state=seed)),
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
    problems = check_metadata(meta, artifact, corpus_sha256)
    if problems:
        raise ModelUnavailable(
            f"refusing the model in {directory}: {'; '.join(problems)}. "
            "Run `certwatch train` to rebuild it.")
    # Only after the hash check: the artifact is a pickle and must be the one we wrote.
    return SavedModel(pipeline=joblib.load(artifact), metadata=meta)

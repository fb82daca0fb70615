"""Train the model reproducibly: corpus → split → cross-validate the training side → fit the
calibrated model on all of it → measure on the held-out side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from classifiers.corpus import CORPUS_DIR, Example, corpus_hash, describe, load_corpus, split
from classifiers.crossval import Assessment, Progress, assess, out_of_fold
from classifiers.evaluate import Report, evaluate
from classifiers.fitting import AUGMENT_COPIES, SEED, OutOfFoldRisk, Settings, fit_pipeline
from classifiers.model import FRAUD_THRESHOLD, load, save
from classifiers.scoring import Classifier


@dataclass
class TrainResult:
    directory: Path
    version: str
    heldout: Report
    counts: dict
    cv: Assessment


def train(directory: Path | None = None, reviews: Sequence[Example] = (),
          corpus_dir: Path = CORPUS_DIR, settings: Settings | None = None,
          progress: Progress | None = None) -> TrainResult:
    settings = settings or Settings()
    examples = load_corpus(corpus_dir)
    train_side, heldout = split(examples)
    fit_side = [*train_side, *reviews]
    # The calibrator learns from predictions on examples their model never saw; the same
    # folds say which threshold this training side calls for (recorded, compared with
    # FRAUD_THRESHOLD by the caller).
    oof = out_of_fold(fit_side, settings, progress)
    cv = assess(oof, settings)
    if progress:
        progress("final fit on the whole training side")
    pipeline, n_fitted = fit_pipeline(fit_side, settings,
                                      OutOfFoldRisk(logit=oof.logit, is_fraud=oof.is_fraud))
    counts = {"corpus": describe(examples), "train": len(train_side), "heldout": len(heldout),
              "reviews": len(reviews), "fitted_with_augmentation": n_fitted}
    metadata = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_data_sha256": corpus_hash(corpus_dir),
        "params": {"seed": SEED, "augment_copies": AUGMENT_COPIES,
                   "fraud_threshold": FRAUD_THRESHOLD, **asdict(settings),
                   "pipeline": repr(pipeline.steps)},
        "counts": counts,
        "cv": cv.as_dict(),
    }
    # Measure with exactly what was saved, loaded back through the same checks as in use.
    saved_dir = save(pipeline, {**metadata, "heldout_metrics": None}, directory)
    classifier = Classifier(load(saved_dir))
    report = evaluate(classifier, heldout)
    save(pipeline, {**metadata, "heldout_metrics": report.as_dict()}, saved_dir)
    return TrainResult(directory=saved_dir, version=load(saved_dir).version, heldout=report,
                       counts=counts, cv=cv)

"""Fit the pipeline on a set of examples: augment them, weight them, fit. Used for the final
model and for every cross-validation fold alike, so the folds measure what training ships."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.augment import augment
from classifiers.corpus import Example
from classifiers.model import (
    CALIBRATION,
    HARD_BENIGN_WEIGHT,
    LINEAR,
    NGRAM_MAX,
    TEMPERATURE,
    C,
    build_pipeline,
)

SEED = 20261122
# Every class gets the same number of evasion-trick copies, so the tricks themselves carry no
# label (benign posts quote obfuscated ads too) and the class balance stays as written.
AUGMENT_COPIES = {"guazheng": 1, "fake_cert": 1, "exam_fraud": 1, "benign": 1}


@dataclass(frozen=True)
class Settings:
    """The knobs cross-validation chooses (classifiers.crossval)."""

    c: float = C
    hard_benign_weight: float = HARD_BENIGN_WEIGHT
    calibration: str = CALIBRATION
    ngram_max: int = NGRAM_MAX
    linear: str = LINEAR
    temperature: float = TEMPERATURE


@dataclass(frozen=True)
class OutOfFoldRisk:
    """What the calibrator learns from: risk logits of examples their model never saw."""

    logit: np.ndarray
    is_fraud: np.ndarray


def augmented(examples: Sequence[Example], seed: int = SEED) -> list[Example]:
    rng = random.Random(seed)
    out = list(examples)
    for ex in examples:
        for copy in range(AUGMENT_COPIES[ex.label]):
            text = augment(ex.text, rng, n_tricks=2)
            title = augment(ex.title, rng, n_tricks=1) if ex.title else ""
            out.append(Example(id=f"{ex.id}~aug{copy}", label=ex.label, text=text,
                               title=title, platform=ex.platform, obfuscated=True,
                               hard=ex.hard))
    return out


def fit_pipeline(examples: Sequence[Example], settings: Settings,
                 oof: OutOfFoldRisk | None = None) -> tuple[Pipeline, int]:
    """The fitted pipeline and how many rows (with augmentation) it was fitted on.

    Without `oof` the pipeline is uncalibrated (what the folds need: raw risks to learn a
    calibration from).
    """
    fit_on = augmented(examples)
    calibration = settings.calibration if oof is not None else "none"
    pipeline = build_pipeline(c=settings.c, seed=SEED, calibration=calibration,
                              ngram_max=settings.ngram_max, linear=settings.linear,
                              temperature=settings.temperature)
    weights = [settings.hard_benign_weight if ex.hard and ex.label == "benign" else 1.0
               for ex in fit_on]
    extra = {} if oof is None else {"clf__oof_logit": oof.logit, "clf__oof_fraud": oof.is_fraud}
    pipeline.fit([ex.full_text for ex in fit_on], [ex.label for ex in fit_on],
                 clf__sample_weight=weights, **extra)
    return pipeline, len(fit_on)

"""Adapt the classifier to the store's scorer hook (store.recorder.Scorer)."""

from __future__ import annotations

import functools
import logging
from dataclasses import fields
from typing import Any

from classifiers.errors import ModelUnavailable
from classifiers.scoring import Classifier, Reason, Verdict
from store.recorder import ListingData, Scorer

logger = logging.getLogger(__name__)
REASON_FIELDS = tuple(f.name for f in fields(Reason))


def verdict_columns(verdict: Verdict) -> dict[str, Any]:
    return {
        "label": verdict.label, "score": verdict.score, "scores": verdict.scores,
        # Reasons hold scalars only: a plain dict, not dataclasses.asdict's recursive deep
        # copy (a sixth of the cost of scoring a crawl's listings).
        "reasons": [{f: getattr(r, f) for f in REASON_FIELDS} for r in verdict.reasons],
        "attributes": verdict.attributes,
        "model_version": verdict.model_version,
        "contacts": [{"key": c["key"], "kind": c["kind"], "value": c["value"]}
                     for c in verdict.attributes.get("contacts", ())],
    }


def make_scorer(classifier: Classifier) -> Scorer:
    def score(items: list[ListingData]) -> list[dict[str, Any]]:
        verdicts = classifier.classify_many([(item.title, item.text) for item in items])
        return [verdict_columns(v) for v in verdicts]

    return score


@functools.cache
def default_scorer() -> Scorer | None:
    """The installed model's scorer, or None (with one warning) when there is none.

    It scores in a child process (`classifiers.scoring_process`), shared by every crawl of
    this process: in the crawling process, scoring held the GIL the crawl needs."""
    from classifiers.scoring_process import ScoringProcess

    try:
        return ScoringProcess()
    except ModelUnavailable as exc:
        logger.warning("listings will be stored unscored: %s", exc)
        return None

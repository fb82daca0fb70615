"""Before and after for `certwatch train --with-reviews`: what the analysts' labels changed.

"Before" is the model in use when training starts; "after" is the one trained with the
reviews. Both are measured on the corpus's held-out split (which the reviews never touch)
and on the reviewed listings themselves (how often the model agrees with the analysts).
The "after" agreement is in-sample: the new model was fitted on those very reviews, so it
says the labels were learnt, not how well the model will agree on the next ones; the table
says so. Holding reviews out would take a second training (cross-validated, minutes) or
withhold analysts' labels from the model in use; the held-out split rows are the fair
before/after comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from classifiers.corpus import CORPUS_DIR, Example, load_corpus, split
from classifiers.errors import ModelUnavailable
from classifiers.evaluate import Report, evaluate
from classifiers.scoring import Classifier


@dataclass
class Measure:
    heldout: Report | None
    agreement: float | None  # share of reviewed listings labelled as the analysts did


def agreement(classifier: Classifier, reviews: Sequence[Example]) -> float | None:
    if not reviews:
        return None
    verdicts = classifier.classify_many([(ex.title, ex.text) for ex in reviews])
    return round(sum(v.label == ex.label for v, ex in zip(verdicts, reviews, strict=True))
                 / len(reviews), 4)


def measure_installed(reviews: Sequence[Example]) -> Measure:
    """The model in use now, or an empty measure when there is none (first training)."""
    try:
        classifier = Classifier.load()
    except ModelUnavailable:
        return Measure(None, None)
    _train, heldout = split(load_corpus(CORPUS_DIR))
    return Measure(evaluate(classifier, heldout), agreement(classifier, reviews))


def measure_new(report: Report, reviews: Sequence[Example]) -> Measure:
    return Measure(report, agreement(Classifier.load(), reviews))


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def render_before_after(before: Measure, after: Measure, n_reviews: int) -> str:
    rows = [("macro-F1 (held out)", "macro_f1"),
            ("recall, obfuscated fraud (held out)", "obfuscated_recall"),
            ("false positives, hard benign (held out)", "hard_benign_fpr"),
            ("calibration error ECE (held out)", "ece")]
    width = 52
    lines = [f"{'before → after':<{width}} {'before':>8} {'after':>8}"]
    for title, name in rows:
        b = getattr(before.heldout, name) if before.heldout else None
        a = getattr(after.heldout, name) if after.heldout else None
        lines.append(f"{title:<{width}} {_fmt(b):>8} {_fmt(a):>8}")
    title = f"agreement with analysts ({n_reviews} reviewed)*"
    lines.append(f"{title:<{width}} {_fmt(before.agreement):>8} {_fmt(after.agreement):>8}")
    lines.append("* after: in-sample, the new model was trained on these reviews (it shows "
                 "they were learnt, not how it will agree on new ones)")
    return "\n".join(lines)

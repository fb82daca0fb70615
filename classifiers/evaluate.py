"""Measure a classifier on labelled examples: what `certwatch evaluate` and training report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from classifiers.corpus import LABELS, Example

ECE_BINS = 10


@dataclass
class Report:
    n: int
    per_class: dict[str, dict[str, float]]
    macro_f1: float
    confusion: list[list[int]]
    obfuscated_recall: float | None
    obfuscated_n: int
    hard_benign_fpr: float | None
    hard_benign_n: int
    ece: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def evaluate(classifier: Any, examples: Sequence[Example], batch: int = 512) -> Report:
    verdicts = []
    for i in range(0, len(examples), batch):
        chunk = examples[i: i + batch]
        verdicts += classifier.classify_many([(ex.title, ex.text) for ex in chunk])
    truth = [ex.label for ex in examples]
    pred = [v.label for v in verdicts]
    p, r, f, support = precision_recall_fscore_support(truth, pred, labels=list(LABELS),
                                                       zero_division=0)
    per_class = {label: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                         "f1": round(float(f[i]), 4), "support": int(support[i])}
                 for i, label in enumerate(LABELS)}
    present = [i for i, label in enumerate(LABELS) if support[i]]
    macro = float(np.mean([f[i] for i in present])) if present else 0.0
    obf = [(ex, v) for ex, v in zip(examples, verdicts, strict=True)
           if ex.obfuscated and ex.label != "benign"]
    hard = [(ex, v) for ex, v in zip(examples, verdicts, strict=True)
            if ex.hard and ex.label == "benign"]
    return Report(
        n=len(examples), per_class=per_class, macro_f1=round(macro, 4),
        confusion=confusion_matrix(truth, pred, labels=list(LABELS)).tolist(),
        obfuscated_recall=_ratio(sum(v.label == ex.label for ex, v in obf), len(obf)),
        obfuscated_n=len(obf),
        hard_benign_fpr=_ratio(sum(v.label != "benign" for _, v in hard), len(hard)),
        hard_benign_n=len(hard),
        ece=round(calibration_error([v.score for v in verdicts],
                                    [t != "benign" for t in truth]), 4),
    )


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def calibration_error(scores: list[float], positives: list[bool]) -> float:
    """Expected calibration error of the risk score against "is fraud"."""
    s, y = np.asarray(scores), np.asarray(positives, dtype=float)
    if not len(s):
        return 0.0
    bins = np.minimum((s * ECE_BINS).astype(int), ECE_BINS - 1)
    total = 0.0
    for b in range(ECE_BINS):
        mask = bins == b
        if mask.any():
            total += mask.mean() * abs(s[mask].mean() - y[mask].mean())
    return float(total)


def render(report: Report) -> str:
    lines = [f"{'label':<11}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for label, m in report.per_class.items():
        lines.append(f"{label:<11}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}"
                     f"{m['support']:>9}")
    lines.append(f"macro-F1 {report.macro_f1:.3f} on {report.n} examples; "
                 f"calibration error (ECE) {report.ece:.3f}")
    if report.obfuscated_recall is not None:
        lines.append(f"recall on obfuscated fraud: {report.obfuscated_recall:.3f} "
                     f"({report.obfuscated_n} items)")
    if report.hard_benign_fpr is not None:
        lines.append(f"false positives on hard benign: {report.hard_benign_fpr:.3f} "
                     f"({report.hard_benign_n} items)")
    width = max(len(label) for label in LABELS) + 2
    lines.append("confusion (rows: truth, columns: predicted)")
    lines.append(" " * width + "".join(f"{label[:9]:>10}" for label in LABELS))
    for label, row in zip(LABELS, report.confusion, strict=True):
        lines.append(f"{label:<{width}}" + "".join(f"{n:>10}" for n in row))
    return "\n".join(lines)

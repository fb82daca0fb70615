"""Classifier speed: batch throughput on one core and single-listing p99 latency.

    .venv/bin/python bench/classify.py [--repeat 5]

Inputs are the sandbox's night-1 listings (independent of the training corpus). The full
path (normalise → TF-IDF → logistic regression → reasons → attributes) is compared with a
baseline run in the same process: the bare scikit-learn vectoriser + model on raw text.
Targets: ≥ 5,000 listings/s in batch, p99 ≤ 20 ms for one listing.
"""

from __future__ import annotations

import os

# One core, as the target says: BLAS and OpenMP must not fan out, and the process is pinned.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers.scoring import Classifier  # noqa: E402
from sandbox.truth import listings  # noqa: E402

BATCH = 512


def batch_rate(fn, items: list, repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        for i in range(0, len(items), BATCH):
            fn(items[i: i + BATCH])
        rates.append(len(items) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    classifier = Classifier.load()
    items = [(t.title, t.text) for t in listings()] * 4
    pipeline = classifier.saved.pipeline
    tfidf, clf = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]

    def bare(chunk: list) -> None:
        clf.predict_proba(tfidf.transform([f"{a}\n{b}" for a, b in chunk]))

    classifier.classify_many(items[:50])  # warm caches (alias tables, regexes)
    full_rate = batch_rate(classifier.classify_many, items, args.repeat)
    bare_rate = batch_rate(bare, items, args.repeat)
    latencies = []
    for title, text in items[:1000]:
        start = time.perf_counter()
        classifier.classify(text, title)
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    print(f"inputs: {len(items)} listings (sandbox night 1 ×4), batches of {BATCH}, one core")
    print(f"baseline bare sklearn  {bare_rate:10.0f} listings/s")
    print(f"certwatch classify     {full_rate:10.0f} listings/s  (target ≥ 5000)")
    print(f"ratio certwatch/bare = {full_rate / bare_rate:.2f}")
    print(f"single listing latency p50 {p50:.2f} ms, p99 {p99:.2f} ms  (target p99 ≤ 20 ms)")


if __name__ == "__main__":
    main()

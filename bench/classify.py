"""Classifier speed: batch throughput on one core and single-listing p99 latency.

    .venv/bin/python bench/classify.py [--repeat 5]

Inputs are the sandbox's night-1 listings (independent of the training corpus). The full
path (normalise → TF-IDF → linear model → reasons → attributes) is compared with a
baseline run in the same process: the bare scikit-learn vectoriser + model on raw text.
Targets: ≥ 5,000 listings/s in batch, p99 ≤ 20 ms for one listing.

Rounds alternate the baseline and the full path, so a change in machine load between them
hits both; the ratio is the median of the per-round ratios. Throughput is given in CPU time
of this (pinned) process, which other processes sharing the core barely move, and in wall
time, which they do.
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


def timed_pass(fn, items: list) -> tuple[float, float]:
    """(CPU seconds, wall seconds) to run `fn` over `items` in batches."""
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(0, len(items), BATCH):
        fn(items[i: i + BATCH])
    return time.process_time() - cpu, time.perf_counter() - wall


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99) - 1]


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
    bare(items[:50])
    full_cpu, full_wall, bare_cpu, bare_wall, ratios = [], [], [], [], []
    for _ in range(args.repeat):
        b_cpu, b_wall = timed_pass(bare, items)
        f_cpu, f_wall = timed_pass(classifier.classify_many, items)
        bare_cpu.append(len(items) / b_cpu)
        bare_wall.append(len(items) / b_wall)
        full_cpu.append(len(items) / f_cpu)
        full_wall.append(len(items) / f_wall)
        ratios.append(b_cpu / f_cpu)
    median = statistics.median
    latencies, cpu_latencies = [], []
    for title, text in items[:1000]:
        cpu, wall = time.process_time(), time.perf_counter()
        classifier.classify(text, title)
        latencies.append((time.perf_counter() - wall) * 1000)
        cpu_latencies.append((time.process_time() - cpu) * 1000)
    p50, p99 = percentiles(latencies)
    cpu_p50, cpu_p99 = percentiles(cpu_latencies)
    print(f"inputs: {len(items)} listings (sandbox night 1 ×4), batches of {BATCH}, one core, "
          f"{args.repeat} alternating rounds (medians)")
    print("                       listings/s by CPU time   by wall time")
    print(f"baseline bare model    {median(bare_cpu):10.0f}            {median(bare_wall):10.0f}")
    print(f"certwatch classify     {median(full_cpu):10.0f}            {median(full_wall):10.0f}"
          "   (target ≥ 5000)")
    print(f"ratio certwatch/bare = {median(ratios):.3f} (CPU time, median of the rounds)")
    print(f"single listing latency p50 {p50:.2f} ms, p99 {p99:.2f} ms  (target p99 ≤ 20 ms); "
          f"in CPU time p50 {cpu_p50:.2f} ms, p99 {cpu_p99:.2f} ms")


if __name__ == "__main__":
    main()

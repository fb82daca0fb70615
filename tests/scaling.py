"""Scaling checks for long inputs, in place of wall-clock limits.

The hazard with a megabyte of text is work that grows faster than the text (a regex that
backtracks, a quadratic loop), not a slow machine. So a test times the same function on a
64 KB prefix and on the whole text, in CPU seconds of this process (other processes on a busy
machine do not count), and requires the ratio to stay near the length ratio. Linear work gives
16x for 1 MB against 64 KB; quadratic work gives 256x; the slack allows 64x.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

SMALL = 1 << 16


def cpu_seconds(run: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` runs, in CPU seconds of this process, the collector paused."""
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.process_time()
            run()
            best = min(best, time.process_time() - started)
    finally:
        if enabled:
            gc.enable()
    return best


def assert_near_linear(run: Callable[[str], object], text: str, slack: float = 4.0,
                       prefix: int = SMALL) -> None:
    """`run(text)` costs at most `slack` times what `run` on a 64 KB prefix, scaled up, costs."""
    small = text[:prefix]
    assert len(text) >= 8 * len(small), "the long text must be much longer than the prefix"
    run(small)  # fill lazy tables and caches before anything is timed
    t_small = cpu_seconds(lambda: run(small), repeat=3)
    t_long = cpu_seconds(lambda: run(text), repeat=2)
    scale = len(text) / len(small)
    # A floor on the prefix's time keeps a clock tick from deciding the verdict.
    allowed = slack * scale * max(t_small, 0.002)
    assert t_long <= allowed, (
        f"{len(text):,} chars took {t_long:.3f}s of CPU, {t_long / max(t_small, 1e-9):.0f}x "
        f"the {len(small):,}-char prefix ({t_small:.4f}s): more than linear (allowed "
        f"{slack:g} x {scale:.0f}x)")

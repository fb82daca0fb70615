"""Score filters act on scores as the pages show them.

Pages print risk scores with two decimals, so an analyst who sees 0.97 and asks for
"at least 0.97" must get that row even when its stored score is 0.9651.
"""

from __future__ import annotations

SHOWN_DECIMALS = 2


def shown_floor(min_score: float) -> float:
    """The lowest stored score that is shown as `min_score` or more."""
    return min_score - 0.5 * 10.0 ** -SHOWN_DECIMALS

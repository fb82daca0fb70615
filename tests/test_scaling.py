"""The scaling check used by the long-input tests fails on quadratic work and passes linear."""

from __future__ import annotations

import re

import pytest

from tests.scaling import assert_near_linear

# Each start position scans to the end of the run before failing: quadratic in its length.
QUADRATIC = re.compile(r"a+b")


def test_quadratic_work_fails_the_check() -> None:
    with pytest.raises(AssertionError, match="more than linear"):
        assert_near_linear(QUADRATIC.search, "a" * 24_000, prefix=1_500)


def test_linear_work_passes_the_check() -> None:
    assert_near_linear(lambda text: text.encode("utf-8").count(b"a"), "ab" * 500_000)

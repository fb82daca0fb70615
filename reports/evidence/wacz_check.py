"""Run py-wacz's own validator (what `wacz validate -f` runs) on a packet.

In-process, with py-wacz (and frictionless, which it imports) loaded on a background thread
while Chromium prints the cover: the import is most of the validator's cost.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import threading
from pathlib import Path

_loader: threading.Thread | None = None


def preload() -> None:
    global _loader
    if _loader is None:
        _loader = threading.Thread(target=importlib.import_module, args=("wacz.main",),
                                   name="wacz-preload", daemon=True)
        _loader.start()


def validate(path: Path) -> tuple[bool, str]:
    """(valid, the validator's message)."""
    if _loader is not None:
        _loader.join()
    from wacz.main import validate_wacz

    out = io.StringIO()
    args = argparse.Namespace(file=str(path), verify_auth=False, verifier_url=None)
    try:
        with contextlib.redirect_stdout(out):
            status = validate_wacz(args)
    except Exception as exc:  # py-wacz's own bugs surface as exceptions, not statuses
        return False, f"py-wacz failed: {type(exc).__name__}: {exc}"
    lines = [ln.strip() for ln in out.getvalue().splitlines() if ln.strip()]
    ok = status == 0 and "Validation succeeded, the passed WACZ is valid" in lines
    problem = next((ln for ln in lines if "not listed" in ln or "does not match" in ln
                    or "invalid package" in ln or "missing" in ln.lower()), None)
    return ok, problem or (lines[-1] if lines else "")

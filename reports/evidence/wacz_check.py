"""Run py-wacz's own validator (`wacz validate -f`) on a packet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def validate(path: Path) -> tuple[bool, str]:
    """(valid, the validator's last message)."""
    proc = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(path)],
                          capture_output=True, text=True, timeout=300)
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    message = next((ln for ln in reversed(lines) if "alid" in ln), lines[-1] if lines else "")
    for line in lines:
        if "not listed" in line or "does not match" in line or "error" in line.lower():
            message = line.strip()
            break
    return proc.returncode == 0 and "Validation succeeded" in proc.stdout, message.strip()

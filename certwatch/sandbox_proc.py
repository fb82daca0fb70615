"""Start the sandbox web in a child process for a crawl, or reach one already running."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

from certwatch.config import Config

READY_PREFIX = "sandbox listening on http://"


class SandboxError(Exception):
    """The sandbox could not be started or reached."""


@contextlib.contextmanager
def embedded_sandbox(night: int = 1, seed: int | None = None,
                     extra_args: tuple[str, ...] = ()) -> Iterator[str]:
    """A sandbox in its own process (so it does not compete with the crawler for the GIL)."""
    cmd = [sys.executable, "-m", "certwatch.cli", "sandbox", "serve", "--port", "0",
           "--night", str(night), *extra_args]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith(READY_PREFIX):
            proc.kill()
            err = proc.stderr.read() if proc.stderr else ""
            raise SandboxError(f"sandbox did not start: {line.strip()} {err.strip()[-500:]}")
        yield line.strip()[len(READY_PREFIX):].rstrip("/")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def set_night(address: str, night: int) -> None:
    req = urllib.request.Request(f"http://{address}/__sandbox__/night?n={night}", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
    except OSError as exc:
        raise SandboxError(f"cannot set night {night} on the sandbox at {address}: {exc}") from None


@contextlib.contextmanager
def sandbox_for(config: Config, night: int | None) -> Iterator[str | None]:
    """Address of the sandbox this crawl should use, or None when it is switched off."""
    if config.sandbox == "off":
        yield None
    elif config.sandbox == "auto":
        with embedded_sandbox(night=night or 1) as address:
            yield address
    else:
        if night is not None:
            set_night(config.sandbox, night)
        yield config.sandbox

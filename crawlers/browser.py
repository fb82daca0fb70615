"""Find a usable Chromium and build Playwright launch options.

Order: `CERTWATCH_CHROMIUM`, then Playwright's own build when it is installed, then the
system's (Debian's `chromium`). `playwright install` cannot download everywhere, so the
fallback is automatic rather than an error.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Any

from crawlers.errors import BrowserUnavailable
from crawlers.hostmap import HostMap

SYSTEM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without these, Chromium phones home at start-up; on a closed network that is noise and delay.
QUIET_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
    "--disable-dev-shm-usage",
)


@functools.cache
def playwright_managed_chromium() -> str | None:
    """Playwright's own Chromium if it has been downloaded, else None."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # driver missing or broken: treat as "no managed browser"
        return None
    return path if path and Path(path).is_file() else None


def system_chromium() -> str | None:
    for name in SYSTEM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def find_chromium(environ: dict[str, str] | None = None) -> tuple[str | None, str]:
    """(executable path or None for Playwright's default, where it came from)."""
    env = os.environ if environ is None else environ
    override = env.get("CERTWATCH_CHROMIUM")
    if override:
        if not (Path(override).is_file() and os.access(override, os.X_OK)):
            raise BrowserUnavailable(
                f"CERTWATCH_CHROMIUM={override!r} is not an executable file"
            )
        return override, "CERTWATCH_CHROMIUM"
    if playwright_managed_chromium():
        return None, "playwright"
    found = system_chromium()
    if found:
        return found, "system"
    raise BrowserUnavailable(
        "no Chromium found: run `make install` (installs Debian's chromium when Playwright "
        "cannot download its own) or set CERTWATCH_CHROMIUM to a Chromium executable"
    )


def launch_options(hostmap: HostMap | None = None) -> dict[str, Any]:
    executable, _origin = find_chromium()
    args = list(QUIET_FLAGS)
    if hostmap:
        args.append(f"--host-resolver-rules={hostmap.chromium_rules()}")
    options: dict[str, Any] = {"headless": True, "args": args}
    if executable:
        options["executable_path"] = executable
    return options

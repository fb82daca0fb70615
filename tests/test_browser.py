"""Chromium selection: override, Playwright's own build, or the system's — never nothing."""

import os

import pytest

from crawlers.browser import find_chromium, launch_options
from crawlers.errors import BrowserUnavailable
from crawlers.hostmap import HostMap


def test_override_must_be_executable() -> None:
    with pytest.raises(BrowserUnavailable, match="CERTWATCH_CHROMIUM='/nonexistent/chrome'"):
        find_chromium({"CERTWATCH_CHROMIUM": "/nonexistent/chrome"})


def test_a_usable_browser_is_found_here() -> None:
    path, origin = find_chromium({})
    assert origin in ("playwright", "system")
    if origin == "system":
        assert path and os.access(path, os.X_OK)


def test_launch_options_carry_the_host_map() -> None:
    options = launch_options(HostMap({"www.xianyu-sandbox.cn": "127.0.0.1:9"},
                                     loopback_only=True))
    rules = [a for a in options["args"] if a.startswith("--host-resolver-rules=")]
    assert rules == ["--host-resolver-rules=MAP www.xianyu-sandbox.cn 127.0.0.1:9, "
                     "MAP localhost 127.0.0.1, MAP * ~NOTFOUND"]
    assert "--disable-background-networking" in options["args"]

"""The marketplace's JavaScript really renders every listing in Chromium (host-resolver mapping)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from sandbox.hosts import SITES, START_URLS
from sandbox.server import SandboxServer
from sandbox.truth import listings

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as srv:
        yield srv


def test_feed_renders_all_items_and_detail_renders_one(server: SandboxServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    items = [t for t in listings() if t.site == "xianyu"]
    host = SITES["xianyu"]
    args = [f"--host-resolver-rules=MAP {host} 127.0.0.1:{server.port}"]
    with sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        except Exception as exc:  # no browser installed here
            pytest.skip(f"Chromium not available: {exc}")
        page = browser.new_page()
        page.goto(START_URLS["xianyu"][0])
        page.wait_for_selector("div.item-card")
        while page.locator("#load-more").count():
            before = page.locator("div.item-card").count()
            page.click("#load-more")
            page.wait_for_function(
                f"document.querySelectorAll('div.item-card').length > {before}"
                " || !document.getElementById('load-more')"
            )
        cards = page.locator("div.item-card")
        assert cards.count() == len(items)
        first = cards.nth(0)
        assert first.get_attribute("data-key") == items[0].key
        assert first.locator("h3.item-title").inner_text() == items[0].title
        assert first.locator("p.item-desc").inner_text() == items[0].text
        assert first.locator("time.posted").inner_text() == items[0].posted
        page.goto(items[3].url)
        page.wait_for_selector("#detail div.item-card")
        assert page.locator("#detail h3.item-title").inner_text() == items[3].title
        browser.close()

"""The marketplace's JavaScript really renders every listing in Chromium (host-resolver mapping)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawlers.browser import launch_options
from crawlers.hostmap import HostMap
from sandbox.hosts import SITES, START_URLS
from sandbox.server import SandboxServer
from sandbox.truth import listings

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as srv:
        yield srv


def test_feed_renders_all_items_and_detail_renders_one(server: SandboxServer) -> None:
    from playwright.sync_api import sync_playwright

    items = [t for t in listings() if t.site == "xianyu"]
    hostmap = HostMap({SITES["xianyu"]: server.address}, loopback_only=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options(hostmap))
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

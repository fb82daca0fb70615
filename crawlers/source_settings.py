"""Translate a source's politeness and limits into the Scrapy settings of its crawler."""

from __future__ import annotations

from scrapy.settings import Settings

from crawlers.browser import launch_options
from crawlers.hostmap import HostMap
from crawlers.sources import SourceConfig

PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def apply_source_settings(settings: Settings, config: SourceConfig) -> None:
    pol, lim = config.politeness, config.limits
    values = {
        "DOWNLOAD_DELAY": pol.delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": pol.concurrency,
        "AUTOTHROTTLE_ENABLED": pol.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(pol.delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(pol.concurrency),
        "ROBOTSTXT_OBEY": pol.obey_robots,
        "DOWNLOAD_TIMEOUT": lim.timeout,
        "DOWNLOAD_MAXSIZE": lim.max_bytes,
        "DOWNLOAD_WARNSIZE": min(lim.max_bytes, settings.getint("DOWNLOAD_WARNSIZE")),
        "DEPTH_LIMIT": lim.depth,
        "CLOSESPIDER_PAGECOUNT": lim.pages,
        "RETRY_TIMES": lim.retries,
    }
    if config.browser:
        hostmap = HostMap(settings.getdict("CERTWATCH_HOST_MAP"),
                          settings.getbool("CERTWATCH_LOOPBACK_ONLY"))
        values["DOWNLOAD_HANDLERS"] = {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER}
        values["PLAYWRIGHT_LAUNCH_OPTIONS"] = launch_options(hostmap)
        values["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"] = lim.timeout * 1000
        values["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] = max(1, pol.concurrency)
    for name, value in values.items():
        settings.set(name, value, priority="spider")

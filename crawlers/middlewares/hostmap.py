"""Send requests for mapped hosts through the loopback server as an HTTP proxy."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from crawlers.hostmap import HostMap


class HostMapMiddleware:
    """Sets `meta['proxy']` for mapped hosts; refuses unmapped ones when loopback-only."""

    def __init__(self, hostmap: HostMap, crawler: Crawler) -> None:
        self.hostmap = hostmap
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostMapMiddleware:
        hostmap = HostMap(crawler.settings.getdict("CERTWATCH_HOST_MAP"),
                          crawler.settings.getbool("CERTWATCH_LOOPBACK_ONLY"))
        if not hostmap:
            raise NotConfigured
        return cls(hostmap, crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("playwright"):
            return None  # Chromium resolves through --host-resolver-rules instead
        host = urlparse_cached(request).hostname
        target = self.hostmap.target(host)
        if target is not None:
            request.meta["proxy"] = f"http://{target}"
            return None
        if not self.hostmap.allowed(host):
            self.stats.inc_value("certwatch/hostmap/blocked")
            raise IgnoreRequest(f"host {host!r} is not mapped and the crawl is loopback-only")
        return None

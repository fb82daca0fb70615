"""Name a redirect loop as such: otherwise the dupefilter drops it silently mid-chain."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from w3lib.url import canonicalize_url


class RedirectLoopMiddleware:
    """Sits just outside RedirectMiddleware and sees each 3xx before it is followed."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = canonicalize_url(response.urljoin(location.decode("latin-1")))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in {canonicalize_url(u) for u in chain}:
            self.stats.inc_value("certwatch/redirect/loops")
            raise IgnoreRequest(f"redirect loop: {' → '.join(chain)} → {target}")
        return response

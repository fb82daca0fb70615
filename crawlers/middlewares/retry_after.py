"""Retry 429 (and 503 with Retry-After) after the delay the server asks for, with back-off."""

from __future__ import annotations

import asyncio
import email.utils
import time

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

RETRY_STATUSES = (429, 503)


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    """Parse Retry-After: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.max_times = settings.getint("CERTWATCH_RETRY_AFTER_TIMES", 3)
        self.max_delay = settings.getfloat("CERTWATCH_RETRY_AFTER_MAX", 120.0)
        self.backoff = settings.getfloat("CERTWATCH_RETRY_BACKOFF", 2.0)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response,
                               spider: Spider | None = None) -> Request | Response:
        if response.status not in RETRY_STATUSES or request.meta.get("dont_retry"):
            return response
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if response.status == 503 and asked is None:
            return response  # plain 503s are the stock RetryMiddleware's business
        tries = request.meta.get("retry_after_times", 0)
        delay = asked if asked is not None else self.backoff * 2**tries
        if tries >= self.max_times or delay > self.max_delay:
            self.stats.inc_value(f"certwatch/retry_after/gave_up/{response.status}")
            return response
        self.stats.inc_value(f"certwatch/retry_after/{response.status}")
        self.stats.inc_value("certwatch/retry_after/waited_seconds", delay)
        # The download slot is already free here; sleeping delays only this request.
        await asyncio.sleep(delay)
        retry = request.replace(dont_filter=True, priority=request.priority - 1)
        retry.meta["retry_after_times"] = tries + 1
        return retry

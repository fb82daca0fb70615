"""Print a progress line per source every few seconds, so long crawls are visibly alive."""

from __future__ import annotations

import sys
from typing import TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawlers.pipelines.store import error_count


class Progress:
    def __init__(self, crawler: Crawler, interval: float, stream: TextIO = sys.stderr) -> None:
        self.crawler = crawler
        self.interval = interval
        self.stream = stream
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("CERTWATCH_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self._loop = task.LoopingCall(self.report, spider)
        self._loop.start(self.interval, now=False)

    def report(self, spider: Spider) -> None:
        stats = self.crawler.stats.get_stats()
        name = getattr(spider, "source_name", spider.name)
        self.stream.write(
            f"  {name:<10} {stats.get('response_received_count', 0):>6} pages  "
            f"{stats.get('certwatch/listings_stored', 0):>6} listings  "
            f"{error_count(stats):>4} errors\n"
        )
        self.stream.flush()

    def spider_closed(self, spider: Spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()

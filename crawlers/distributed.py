"""One crawl shared by several workers through Redis (scrapy-redis): a per-source request
queue and dupefilter under `CERTWATCH_REDIS_PREFIX:<batch>:<source>`, and an extension that
keeps a worker alive while the shared queue has work or another worker is busy, records the
listing keys every worker saw (for removals), and lets the crawl end once the queue drained.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import Settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawlers.items import PageItem

BUSY_TTL_MS = 3000  # a worker that stops refreshing its busy mark for this long is gone


def shared_base(settings: Settings, source: str) -> str:
    return f"{settings.get('CERTWATCH_REDIS_PREFIX')}:{settings.get('CERTWATCH_BATCH')}:{source}"


def redis_settings(redis_url: str, prefix: str, idle: float) -> dict[str, Any]:
    return {
        "CERTWATCH_REDIS_URL": redis_url,
        "CERTWATCH_REDIS_PREFIX": prefix,
        "CERTWATCH_REDIS_IDLE": idle,
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawlers.distributed.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        # The last worker to leave cleans up; one leaving early must not flush the others' work.
        "SCHEDULER_PERSIST": True,
    }


SHARED_EXTENSION = ("crawlers.distributed.SharedCrawl", 510)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler with keys per batch and source (every spider is "listings").

    It hands a worker no more requests than the source's concurrency allows in flight:
    Scrapy would otherwise pull up to CONCURRENT_REQUESTS into its local download slots,
    and on a fast site one worker would hoard the whole shared queue.
    """

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        return instance

    def next_request(self) -> Any:
        engine = self.crawler.engine if self.crawler else None
        if engine is not None and len(engine.downloader.active) >= max(
                1, self.crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")):
            return None
        return super().next_request()

    def open(self, spider: Spider) -> None:
        base = shared_base(spider.crawler.settings, spider.source_name)
        self.queue_key = base + ":requests"
        self.df = RFPDupeFilter(self.server, key=base + ":dupefilter",
                                debug=spider.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        super().open(spider)


class SharedCrawl:
    def __init__(self, crawler: Crawler) -> None:
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.idle = crawler.settings.getfloat("CERTWATCH_REDIS_IDLE", 5.0)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.base = ""
        self.idle_since: float | None = None
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedCrawl:
        if not crawler.settings.get("CERTWATCH_REDIS_URL"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.base = shared_base(self.crawler.settings, spider.source_name)
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(0.25, now=True)

    def _tick(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return
        if engine.downloader.active or not engine.scraper.slot.is_idle():
            self.server.hset(self.base + ":busy", self.worker, int(time.time() * 1000))
        # Pull from the shared queue now rather than at Scrapy's next 5 s heartbeat. Scrapy
        # only asks the scheduler again when one of this worker's own downloads ends, and
        # it counts the shared queue as this worker's pending work, so a worker with nothing
        # in flight would otherwise sit out other workers' requests. No public hook exists.
        slot = getattr(engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def _others_busy(self) -> bool:
        now = time.time() * 1000
        marks = self.server.hgetall(self.base + ":busy")
        return any(int(ts) > now - BUSY_TTL_MS for who, ts in marks.items()
                   if _text(who) != self.worker)

    def spider_idle(self, spider: Spider) -> None:
        self.server.hdel(self.base + ":busy", self.worker)
        if self.server.zcard(self.base + ":requests") or self._others_busy():
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        self.idle_since = self.idle_since or now
        if now - self.idle_since < self.idle:
            raise DontCloseSpider
        self.crawler.stats.set_value("certwatch/shared/idle_close", self.idle)

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if not isinstance(item, PageItem):
            return
        keys = [*item.seen_keys, *(listing.key for listing in item.listings)]
        if keys:
            self.server.sadd(self.base + ":seen", *keys)
        self.crawler.stats.inc_value("certwatch/shared/pages")

    def spider_closed(self, spider: Spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.server.hdel(self.base + ":busy", self.worker)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

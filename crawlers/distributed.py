"""One crawl shared by several workers through Redis (scrapy-redis): a per-source request
queue and dupefilter under `CERTWATCH_REDIS_PREFIX:<batch>:<source>`, and an extension that
keeps a worker alive while the shared queue has work or another worker is busy, records the
listing keys every worker saw (for removals), and lets the crawl end once the queue drained.

scrapy-redis's pop removes a request from Redis while the dupefilter keeps its fingerprint: a
worker killed with requests taken but not stored would lose them (and, for a list page, every
listing behind it) for the batch. So taking a request also records it in this worker's
in-flight hash (`<source>:inflight:<worker>`, one atomic script), and the worker forgets it
only once the store has committed what its response produced. When a worker dies, a live
one puts what it held back on the queue (certwatch/distributed.py).
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import Settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from certwatch.distributed import KEY_TTL, worker_id
from crawlers.items import PageItem
from crawlers.pipelines.store import STORE_FAILED, STORE_SETTLE

BUSY_TTL_MS = 3000  # a worker that stops refreshing its busy mark for this long is gone
SETTLE_SECONDS = 0.25  # how often finished requests are handed to the store to be forgotten

# KEYS: dupefilter, queue; ARGV: fingerprint ('' when not filtered), score, request, ttl.
# scrapy-redis's check-then-push in one round trip, every key given its expiry as it is made.
_PUSH = """
if ARGV[1] ~= '' then
  if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
"""

# KEYS: queue, this worker's in-flight hash; ARGV: ttl. The best request, moved (with its
# score) to the in-flight hash in one step: a kill between the two cannot lose it.
_TAKE = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], top[1], top[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return top[1]
"""


def batch_base(settings: Settings) -> str:
    return f"{settings.get('CERTWATCH_REDIS_PREFIX')}:{settings.get('CERTWATCH_BATCH')}"


def shared_base(settings: Settings, source: str) -> str:
    return f"{batch_base(settings)}:{source}"


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
        instance.worker = worker_id()
        # Requests taken and not yet known stored: request -> its queue entry.
        instance.handed: dict[Request, bytes] = {}
        instance.unsettled: set[object] = set()  # settle calls the store has yet to answer
        instance.push_script = instance.server.register_script(_PUSH)
        instance.take_script = instance.server.register_script(_TAKE)
        instance.settle_loop = task.LoopingCall(instance.settle)
        return instance

    def open(self, spider: Spider) -> None:
        settings = spider.crawler.settings
        base = shared_base(settings, spider.source_name)
        self.queue_key = base + ":requests"
        self.df = RFPDupeFilter(self.server, key=base + ":dupefilter",
                                debug=settings.getbool("DUPEFILTER_DEBUG"))
        super().open(spider)
        self.inflight_key = f"{base}:inflight:{self.worker}"
        self.registry_key = batch_base(settings) + ":inflight"
        pipe = self.server.pipeline(transaction=False)
        pipe.hset(self.registry_key, self.inflight_key,
                  json.dumps([self.worker, self.queue.key]))
        pipe.expire(self.registry_key, KEY_TTL)
        pipe.execute()
        self.settle_loop.start(SETTLE_SECONDS, now=False)

    def enqueue_request(self, request: Request) -> bool:
        fp = "" if request.dont_filter else self.df.request_fingerprint(request)
        data = self.queue._encode_request(request)  # scrapy-redis's own queue format
        if not self.push_script(keys=[self.df.key, self.queue.key],
                                args=[fp, -request.priority, data, KEY_TTL]):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        engine = self.crawler.engine if self.crawler else None
        if engine is not None and len(engine.downloader.active) >= max(
                1, self.crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")):
            return None
        data = self.take_script(keys=[self.queue.key, self.inflight_key], args=[KEY_TTL])
        if data is None:
            return None
        request = self.queue._decode_request(data)
        self.handed[request] = data
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def settle(self) -> None:
        """Hand requests Scrapy has finished with (response or failure processed, follow-ups
        queued, items passed to the store) to the store, to be forgotten once committed."""
        engine = self.crawler.engine if self.crawler else None
        # The engine's in-progress set spans download and scraping; there is no public
        # "request done" signal, and the extension's tick relies on the same slot.
        slot = getattr(engine, "_slot", None)
        if slot is None:
            return
        done = [r for r in self.handed if r not in slot.inprogress]
        if done:
            token = object()
            self.unsettled.add(token)
            entries = [self.handed.pop(r) for r in done]
            self.crawler.signals.send_catch_log(
                STORE_SETTLE, callback=functools.partial(self._forget, entries, token))
        elif self.unsettled:
            # Nothing new finished, but the store may hold finished pages in its buffer until
            # they are old enough. With nothing else in flight, commit them now: other
            # workers wait for this worker's in-flight requests before they leave.
            self.crawler.signals.send_catch_log(STORE_SETTLE, callback=_nothing,
                                                now=not self.handed)

    def _forget(self, entries: list[bytes], token: object) -> None:
        """The store's writer thread: those requests' results are committed."""
        self.unsettled.discard(token)
        with contextlib.suppress(Exception):  # a Redis hiccup: at worst fetched once more
            self.server.hdel(self.inflight_key, *entries)

    def close(self, reason: str) -> None:
        if self.settle_loop.running:
            self.settle_loop.stop()
        # The store closed before the scheduler: everything taken is committed, unless the
        # store failed. Then the in-flight entries stay for a live worker to re-queue.
        stats = self.crawler.stats if self.crawler else None
        failed = reason == STORE_FAILED or bool(stats and stats.get_value("certwatch/errors/store"))
        if not failed:
            self.handed.clear()
            pipe = self.server.pipeline(transaction=False)
            pipe.delete(self.inflight_key)
            pipe.hdel(self.registry_key, self.inflight_key)
            pipe.execute()
        super().close(reason)


def _nothing() -> None:
    pass


class SharedCrawl:
    def __init__(self, crawler: Crawler) -> None:
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.idle = crawler.settings.getfloat("CERTWATCH_REDIS_IDLE", 5.0)
        self.worker = worker_id()
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
            pipe = self.server.pipeline(transaction=False)
            pipe.hset(self.base + ":busy", self.worker, int(time.time() * 1000))
            pipe.expire(self.base + ":busy", KEY_TTL)
            pipe.execute()
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

    def _others_holding(self) -> bool:
        """Another worker (alive, or dead and not yet noticed) holds requests of this source
        it has not stored: they may come back to the queue, so this worker must not leave."""
        queue = self.base + ":requests"
        registry = batch_base(self.crawler.settings) + ":inflight"
        owners = {key: json.loads(owner) for key, owner in self.server.hgetall(registry).items()}
        held = [key for key, (worker, of) in owners.items()
                if of == queue and worker != self.worker]
        if not held:
            return False
        pipe = self.server.pipeline(transaction=False)
        for key in held:
            pipe.hlen(key)
        return any(pipe.execute())

    def spider_idle(self, spider: Spider) -> None:
        self.server.hdel(self.base + ":busy", self.worker)
        if (self.server.zcard(self.base + ":requests") or self._others_busy()
                or self._others_holding()):
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
            pipe = self.server.pipeline(transaction=False)
            pipe.sadd(self.base + ":seen", *keys)
            pipe.expire(self.base + ":seen", KEY_TTL)
            pipe.execute()
        self.crawler.stats.inc_value("certwatch/shared/pages")

    def spider_closed(self, spider: Spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.server.hdel(self.base + ":busy", self.worker)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

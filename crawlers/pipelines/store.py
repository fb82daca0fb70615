"""Write pages and listings of one source's crawl to the store, and close its run record.

The reactor thread only queues each page; a writer thread per crawl hashes and writes the
bodies, builds the rows, scores new listings and commits in batches. Closing the spider
waits for the queue to empty before the run record is closed.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from sqlalchemy import Engine
from twisted.internet import threads

from certwatch.config import Config, crawl_home
from classifiers.listing_scorer import default_scorer
from crawlers.items import PageItem
from store.bodies import BodyStore
from store.db import open_store, write_lock
from store.recorder import ListingData, PageData, RunCounts, RunRecorder
from store.shared_runs import INCOMPLETE_STATS
from store.writer import WriterThread

logger = logging.getLogger(__name__)

# Close reason when the writer failed (disk full, database gone): the run is interrupted.
STORE_FAILED = "store_failed"
# Signal sent, and awaited, when the last page is queued and before the run record is
# closed: whatever else persists the crawl (the WARC capture) finishes then, off the reactor,
# so its stats and errors land in the run.
CAPTURE_CLOSING = object()
# Sent with `callback` (and `now`: flush at once): the pipeline calls it, on its writer
# thread, once every page queued before the signal is committed. A distributed worker forgets
# an in-flight request only then.
STORE_SETTLE = object()


@functools.cache
def _engine(db_url: str) -> Engine:
    return open_store(db_url)


def error_count(stats: dict[str, Any]) -> int:
    return sum(v for k, v in stats.items()
               if k.startswith("certwatch/errors/") and k != "certwatch/errors/nav_pages")


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        config = Config.from_env()
        self.db_url = settings.get("CERTWATCH_DB_URL") or config.db_url
        self.home = crawl_home(settings)
        self.batch = settings.get("CERTWATCH_BATCH") or uuid.uuid4().hex[:12]
        self.score = settings.getbool("CERTWATCH_SCORE", True)
        self.recorder: RunRecorder | None = None
        self.writer: WriterThread | None = None
        self.counts: RunCounts | None = None
        self._failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.settle, signal=STORE_SETTLE)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        source = spider.config
        scorer = default_scorer() if self.score else None
        if self.score and scorer is None:
            self.crawler.stats.set_value("certwatch/classifier/unavailable", 1)
        self.recorder = RunRecorder(
            _engine(self.db_url), BodyStore(self.home / "bodies"), source.name,
            batch=self.batch, night=getattr(spider, "night", None), source_title=source.title,
            platform=source.platform, config_hash=source.digest, scorer=scorer,
            lock=write_lock(self.db_url),
        )
        run_id = self.recorder.start()
        self.crawler.stats.set_value("certwatch/run_id", run_id)
        self.writer = WriterThread(f"certwatch-store-{source.name}")

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, PageItem):
            return item
        try:
            self.writer.submit(functools.partial(self._record, item),
                               size=len(item.body or b""))
        except Exception as exc:  # the writer's failure, raised here once it has one
            self._store_failed(exc)
            raise DropItem(f"not stored, the store failed: {exc!r}") from None
        # Counted when queued: closing waits for the queue, so the totals hold at the end.
        stats = self.crawler.stats
        stats.inc_value("certwatch/pages_stored")
        stats.inc_value("certwatch/listings_stored", len(item.listings))
        return item

    def settle(self, callback: Callable[[], None], now: bool = False) -> None:
        if self.writer is None or self.recorder is None:
            return
        try:
            self.writer.submit(functools.partial(self.recorder.after_commit, callback, now=now))
        except Exception:  # noqa: BLE001 - closed, or failed (process_item reports that):
            return  # nothing more will be committed, so the callback must never run

    def _record(self, item: PageItem) -> None:
        """Writer thread: the page, then its listings (they point at the page's body)."""
        recorder = self.recorder
        digest = recorder.add_page(PageData(
            url=item.url, final_url=item.final_url, status=item.status, headers=item.headers,
            fetched_at=item.fetched_at, body=item.body, kind=item.kind,
            encoding=item.encoding, error=item.error))
        recorder.mark_seen(item.seen_keys)
        for listing in item.listings:
            recorder.add_listing(ListingData(
                key=listing.key, url=listing.url, title=listing.title, text=listing.text,
                seen_at=listing.seen_at, posted=listing.posted, fields=listing.fields,
                page_hash=digest))
        if item.gone_key is not None:
            recorder.mark_gone(item.gone_key)

    def _store_failed(self, error: BaseException, *, stop: bool = True) -> None:
        """First failure of the writer: say so once and stop the crawl (nothing more lands)."""
        if self._failed:
            return
        self._failed = True
        logger.error("store failed, stopping the crawl: %r", error, exc_info=error)
        self.crawler.stats.inc_value("certwatch/errors/store")
        if stop:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=STORE_FAILED))

    async def close_spider(self, spider: Spider | None = None) -> None:
        """Queue the last flush and wait (off the reactor) until the writer has run it all."""
        await self.crawler.signals.send_catch_log_async(signal=CAPTURE_CLOSING)
        if self.writer is None:
            return
        try:
            if self.writer.error is None:
                self.writer.submit(self.recorder.flush)
            await maybe_deferred_to_future(threads.deferToThread(self.writer.close))
        except Exception as exc:  # the writer's failure: the run is closed as such
            self._store_failed(exc, stop=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.recorder is None or self.recorder.run_id is None:
            return
        stats = {**self.crawler.stats.get_stats()}
        stats["certwatch/errors"] = error_count(stats)
        if self.writer is not None and self.writer.error is not None:
            # What the writer held in memory may build on the failed batch: keep only what
            # was committed, and never infer removals from a run that lost writes.
            stats["certwatch/store_error"] = repr(self.writer.error)[:1000]
            self.counts = self.recorder.abandon(close_reason=STORE_FAILED, stats=stats)
            return
        complete = reason == "finished" and not any(stats.get(k) for k in INCOMPLETE_STATS)
        # A distributed worker saw only its share of the list pages: the last worker to leave
        # applies removals for the whole batch (store/shared_runs.py).
        complete = complete and not self.crawler.settings.get("CERTWATCH_REDIS_URL")
        status = "interrupted" if reason in ("shutdown", "cancelled") else "finished"
        self.counts = self.recorder.finish(
            status=status, close_reason=reason, complete=complete, stats=stats)

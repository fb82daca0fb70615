"""Write pages and listings of one source's crawl to the store, and close its run record."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy import Engine

from certwatch.config import Config
from classifiers.listing_scorer import default_scorer
from crawlers.items import PageItem
from store.bodies import BodyStore
from store.db import open_store
from store.recorder import ListingData, PageData, RunCounts, RunRecorder

# Stats that mean the run did not see every list page, so absence proves nothing.
INCOMPLETE_STATS = ("certwatch/errors/nav_pages", "certwatch/trap/dropped",
                    "certwatch/limits/list_pages_dropped")


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
        self.home = config.home
        self.batch = settings.get("CERTWATCH_BATCH") or uuid.uuid4().hex[:12]
        self.score = settings.getbool("CERTWATCH_SCORE", True)
        self.recorder: RunRecorder | None = None
        self.counts: RunCounts | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
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
        )
        run_id = self.recorder.start()
        self.crawler.stats.set_value("certwatch/run_id", run_id)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        recorder = self.recorder
        stats = self.crawler.stats
        if not isinstance(item, PageItem):
            return item
        digest = recorder.add_page(PageData(
            url=item.url, final_url=item.final_url, status=item.status, headers=item.headers,
            fetched_at=item.fetched_at, body=item.body, kind=item.kind,
            encoding=item.encoding, error=item.error))
        stats.inc_value("certwatch/pages_stored")
        recorder.mark_seen(item.seen_keys)
        for listing in item.listings:
            recorder.add_listing(ListingData(
                key=listing.key, url=listing.url, title=listing.title, text=listing.text,
                seen_at=listing.seen_at, posted=listing.posted, fields=listing.fields,
                page_hash=digest))
        stats.inc_value("certwatch/listings_stored", len(item.listings))
        if item.gone_key is not None:
            recorder.mark_gone(item.gone_key)
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.recorder is not None:
            self.recorder.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.recorder is None or self.recorder.run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        complete = reason == "finished" and not any(stats.get(k) for k in INCOMPLETE_STATS)
        # A distributed worker saw only its share of the list pages: the last worker to leave
        # applies removals for the whole batch (store/shared_runs.py).
        complete = complete and not self.crawler.settings.get("CERTWATCH_REDIS_URL")
        status = "interrupted" if reason in ("shutdown", "cancelled") else "finished"
        self.counts = self.recorder.finish(
            status=status, close_reason=reason, complete=complete,
            stats={**stats, "certwatch/errors": error_count(stats)})

"""Resume a source whose last crawl was killed: skip detail pages it already stored.

After SIGKILL nothing of Scrapy's in-memory queue survives (and a JOBDIR would not help:
Scrapy writes its disk-queue state only at a clean close, while `requests.seen` would still
remember every queued request, so a JOBDIR resume after SIGKILL loses them). What survives is
the store, committed every couple of seconds. So the next crawl walks the list pages again —
cheap, and needed to know which ads still exist — and drops detail requests for listings the
interrupted run(s) already stored. Nothing is lost (unstored ads are fetched again) and nothing
is duplicated (listings are keyed by (source, key), and an unfetched detail writes nothing).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from certwatch.config import Config
from store.clock import as_utc, utcnow
from store.db import open_store
from store.models import CrawlRun, Listing, Source
from store.recorder import sweep_stale_runs


def resumable_keys(db_url: str, source: str, night: int | None, window: timedelta,
                   own_pid: int) -> tuple[set[str], list[int]]:
    """Keys stored by the unbroken tail of interrupted runs of `source` (same night, recent)."""
    engine = open_store(db_url)
    chain: list[int] = []
    with Session(engine) as session:
        runs = session.scalars(
            select(CrawlRun).join(Source).where(Source.name == source)
            .order_by(CrawlRun.id.desc()).limit(50))
        oldest = utcnow() - window
        for run in runs:
            if run.status == "running" and run.pid == own_pid:
                continue  # this crawl's own run, just opened
            if (run.status != "interrupted" or run.night != night
                    or as_utc(run.started_at) < oldest):
                break
            chain.append(run.id)
        keys = set(session.scalars(select(Listing.key).where(
            Listing.last_run_id.in_(chain)))) if chain else set()
    return keys, chain


class ResumeMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.skip: set[str] = set()
        self.chain: list[int] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumeMiddleware:
        settings = crawler.settings
        if not settings.getbool("CERTWATCH_RESUME") or settings.get("CERTWATCH_REDIS_URL"):
            raise NotConfigured  # distributed crawls share their queue in Redis instead
        mw = cls(crawler)
        # Decided here (the spider exists; the engine, and this crawl's run, not yet):
        # with nothing to resume the middleware stays out of every response's output chain,
        # which cost about a tenth of a crawl's CPU.
        mw.load(crawler.spider)
        if not mw.chain:
            raise NotConfigured
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def load(self, spider: Spider | None) -> None:
        settings = self.crawler.settings
        # `scrapy crawl listings` has no CERTWATCH_DB_URL setting: same fallback as the store.
        db_url = settings.get("CERTWATCH_DB_URL") or Config.from_env().db_url
        name = getattr(spider, "source_name", None)
        if not db_url or not name:
            return
        # A run left `running` by a killed crawl counts once marked interrupted (the CLI
        # sweeps too; `scrapy crawl` does not).
        sweep_stale_runs(open_store(db_url))
        window = timedelta(hours=settings.getfloat("CERTWATCH_RESUME_HOURS"))
        self.skip, self.chain = resumable_keys(db_url, name, getattr(spider, "night", None),
                                               window, os.getpid())

    def spider_opened(self, spider: Spider) -> None:
        spider.logger.info("resuming after interrupted run(s) %s: %d listing(s) already "
                           "stored, their detail pages are skipped", self.chain, len(self.skip))
        self.crawler.stats.set_value("certwatch/resume/runs", len(self.chain))

    def _keep(self, item: Any) -> bool:
        if (self.skip and isinstance(item, Request)
                and item.meta.get("certwatch_kind") == "detail"
                and item.meta.get("certwatch_key") in self.skip):
            self.crawler.stats.inc_value("certwatch/resume/skipped")
            return False
        return True

    def process_spider_output(self, response: Response, result: Iterable[Any],
                              spider: Spider | None = None) -> Iterable[Any]:
        return (item for item in result if self._keep(item))

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any],
                                          spider: Spider | None = None) -> AsyncIterator[Any]:
        async for item in result:
            if self._keep(item):
                yield item

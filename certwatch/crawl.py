"""Run one crawl over several sources in one Scrapy process: one crawler per source."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from certwatch.config import Config
from crawlers.sources import SourceConfig
from crawlers.spiders.listings import ListingsSpider


def crawl_settings(config: Config, *, batch: str, host_map: dict[str, str] | None,
                   loopback_only: bool, progress_interval: float, log_file: Path | None,
                   extra: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    settings.set("CERTWATCH_BATCH", batch, priority="cmdline")
    settings.set("CERTWATCH_DB_URL", config.db_url, priority="cmdline")
    settings.set("CERTWATCH_HOME", str(config.home), priority="cmdline")
    settings.set("CERTWATCH_HOST_MAP", host_map or {}, priority="cmdline")
    settings.set("CERTWATCH_LOOPBACK_ONLY", loopback_only, priority="cmdline")
    settings.set("CERTWATCH_PROGRESS_INTERVAL", progress_interval, priority="cmdline")
    if config.sources_dir:
        settings.set("CERTWATCH_SOURCES_DIR", str(config.sources_dir), priority="cmdline")
    if log_file is not None:
        settings.set("LOG_FILE", str(log_file), priority="cmdline")
        settings.set("LOG_FILE_APPEND", True, priority="cmdline")
    if config.redis_url:  # several workers share this crawl (README "Several workers")
        from crawlers.distributed import SHARED_EXTENSION, redis_settings

        idle = float(os.environ.get("CERTWATCH_REDIS_IDLE") or 5.0)
        for key, value in redis_settings(config.redis_url, config.redis_prefix, idle).items():
            settings.set(key, value, priority="cmdline")
        extensions = settings.getdict("EXTENSIONS")
        extensions[SHARED_EXTENSION[0]] = SHARED_EXTENSION[1]
        settings.set("EXTENSIONS", extensions, priority="cmdline")
    for key, value in (extra or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(config: Config, sources: list[SourceConfig], *, night: int | None = None,
              host_map: dict[str, str] | None = None, loopback_only: bool = False,
              progress_interval: float = 2.0, extra_settings: dict | None = None,
              batch: str | None = None) -> str:
    """Crawl `sources` to the store; returns the batch id that groups the runs."""
    config.ensure_dirs()
    batch = batch or uuid.uuid4().hex[:12]
    log_file = config.logs_dir / f"crawl-{batch}.log"
    settings = crawl_settings(config, batch=batch, host_map=host_map,
                              loopback_only=loopback_only, progress_interval=progress_interval,
                              log_file=log_file, extra=extra_settings)
    process = CrawlerProcess(settings)
    for source in sources:
        process.crawl(ListingsSpider, source=source.name, night=night)
    process.start()
    return batch

"""Keep the garbage collector off the long-lived start-up heap while crawls run.

By the time a spider opens, the process holds Scrapy, SQLAlchemy, lxml and the classifier
(scikit-learn, NumPy, SciPy): hundreds of thousands of objects that live until exit. Every
full collection walked all of them (0.1–0.2 s each, about one per few hundred pages) on the
reactor thread. `gc.freeze()` moves them to the permanent generation, so collections only
see what the crawl itself allocates.

Frozen once per process, at the first spider open, after a full collection: a later
freeze (a second crawl opening in the same process) would also freeze the running crawls'
objects, and their garbage, for good. Nothing is thawed: `gc.unfreeze()` would hand the
whole heap back to the oldest generation with the collector's bookkeeping reset, and the
next full pass would walk it all again, in whatever runs next.
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

_frozen = False


def freeze() -> None:
    global _frozen
    if _frozen:  # not gc.get_freeze_count(): it walks the frozen list
        return
    gc.collect()  # start-up garbage is not kept
    gc.freeze()
    _frozen = True


class GcFreeze:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcFreeze:
        if not crawler.settings.getbool("CERTWATCH_GC_FREEZE"):
            raise NotConfigured
        ext = cls()
        # Opened after the pipelines, so the classifier and the store engine are loaded.
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self) -> None:
        freeze()

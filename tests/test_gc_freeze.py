"""The GC-freeze extension: on by default, freezes the heap when a spider opens."""

from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawlers.extensions.gc_freeze import GcFreeze


def test_spider_open_moves_the_heap_to_the_permanent_generation() -> None:
    crawler = get_crawler(settings_dict={"CERTWATCH_GC_FREEZE": True})
    ext = GcFreeze.from_crawler(crawler)
    kept = [[i] for i in range(1000)]  # tracked containers alive at spider open
    try:
        before = gc.get_freeze_count()
        ext.spider_opened()
        assert gc.get_freeze_count() >= before + len(kept)
        assert all(not any(o is x for o in gc.get_objects(generation=2)) for x in kept[:3])
    finally:
        gc.unfreeze()  # this test process goes on to run others


def test_switched_off_by_setting() -> None:
    with pytest.raises(NotConfigured):
        GcFreeze.from_crawler(get_crawler(settings_dict={"CERTWATCH_GC_FREEZE": False}))

"""The GC-freeze extension: on by default, freezes the heap once, when the first spider opens."""

from __future__ import annotations

import gc
import weakref

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawlers.extensions import gc_freeze
from crawlers.extensions.gc_freeze import GcFreeze


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - generator fixture
    """As if no spider had opened in this process yet; thawed after (other tests follow)."""
    monkeypatch.setattr(gc_freeze, "_frozen", False)
    yield
    gc.unfreeze()


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def _ext() -> GcFreeze:
    return GcFreeze.from_crawler(get_crawler(settings_dict={"CERTWATCH_GC_FREEZE": True}))


def test_spider_open_moves_the_heap_to_the_permanent_generation(fresh_process: None) -> None:
    ext = _ext()
    kept = [[i] for i in range(1000)]  # tracked containers alive at spider open
    before = gc.get_freeze_count()
    ext.spider_opened()
    assert gc.get_freeze_count() >= before + len(kept)
    assert all(not any(o is x for o in gc.get_objects(generation=2)) for x in kept[:3])


def test_a_second_spider_open_does_not_freeze_the_first_crawls_garbage(
        fresh_process: None) -> None:
    first, second = _ext(), _ext()
    first.spider_opened()
    frozen = gc.get_freeze_count()
    enabled = gc.isenabled()
    gc.disable()  # the garbage must still be there when the second spider opens
    try:
        node = _Node()
        dead = weakref.ref(node)
        del node  # garbage of the running crawl, not yet collected
        second.spider_opened()
        assert gc.get_freeze_count() == frozen
        gc.collect()
        assert dead() is None
    finally:
        if enabled:
            gc.enable()


def test_switched_off_by_setting() -> None:
    with pytest.raises(NotConfigured):
        GcFreeze.from_crawler(get_crawler(settings_dict={"CERTWATCH_GC_FREEZE": False}))

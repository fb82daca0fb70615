"""The one generic spider: reads a source file and crawls list pages, details and their links.

`scrapy crawl listings -a source=jobs58 [-a night=2]`; `certwatch crawl` runs one of these
per source. Site specifics live in `crawlers/sources/*.yaml`, never here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from crawlers import failures
from crawlers.browser_capture import capture as capture_browser_page
from crawlers.encoding import detect_and_decode
from crawlers.extract import extract_fields, select_nodes, select_strings
from crawlers.html import ParsedPage, page_text, parse_page
from crawlers.items import ListingItem, PageItem
from crawlers.source_settings import apply_source_settings
from crawlers.sources import Action, SourceConfig, select_sources
from store.clock import utcnow

CORE_FIELDS = ("title", "text", "posted")
_DIGITS = re.compile(r"\d+")


class ListingsSpider(scrapy.Spider):
    name = "listings"

    def __init__(self, source: str | None = None, night: str | int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not source:
            raise UsageError("pass the source to crawl: scrapy crawl listings -a source=NAME")
        self.source_name = source
        self.night = int(night) if night not in (None, "") else None
        self.config: SourceConfig
        self._shapes: Counter[str] = Counter()
        self._trapped: set[str] = set()
        self._nav_pages = 0
        # One bound method per callback for the whole crawl: Scrapy caches its per-callback
        # source inspection (generator return check) weakly by the callable, and a fresh
        # bound method per request made it re-read and re-parse this file for most details.
        self._on_list, self._on_detail = self.parse_list, self.parse_detail
        self._on_error = self.on_error

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ListingsSpider:
        name = kwargs.get("source")
        if not name:
            raise UsageError("pass the source to crawl: scrapy crawl listings -a source=NAME")
        user_dir = crawler.settings.get("CERTWATCH_SOURCES_DIR")
        (config,) = select_sources([name], user_dir=Path(user_dir) if user_dir else None)
        # Settings are still writable here (Scrapy freezes them after the spider exists).
        apply_source_settings(crawler.settings, config)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        spider.allowed_domains = list(config.allowed_domains)
        return spider

    # -- requests --------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.config.start_urls:
            self._nav_pages += 1
            yield self._list_request(url, kind="list")

    def _list_request(self, url: str, kind: str) -> scrapy.Request:
        meta: dict[str, Any] = {"certwatch_kind": kind}
        if self.config.browser:
            meta["playwright"] = True
            if self.config.list.actions:
                meta["playwright_include_page"] = True
        return scrapy.Request(url, callback=self._on_list, errback=self._on_error, meta=meta)

    def _detail_request(self, url: str, key: str) -> scrapy.Request:
        meta: dict[str, Any] = {"certwatch_kind": "detail", "certwatch_key": key}
        if self.config.browser:
            meta["playwright"] = True
            # Detail pages have no actions to wait on; a script-rendered one fills itself in
            # after "load" (a fetch of its own), so wait until its network goes quiet.
            meta["playwright_page_goto_kwargs"] = {"wait_until": "networkidle"}
        # Details first: they finish listings already discovered before more lists open.
        return scrapy.Request(url, callback=self._on_detail, errback=self._on_error,
                              meta=meta, priority=10)

    def key_for(self, url: str) -> str:
        if self.config.key:
            match = re.search(self.config.key, url)
            if match:
                return match.group(1)
        return canonicalize_url(url)

    # -- parsing ---------------------------------------------------------------------------
    async def parse_list(self, response: Response) -> AsyncIterator[Any]:
        page = response.meta.get("playwright_page")
        if page is not None:
            try:
                html = await self._run_actions(page, self.config.list.actions)
                await capture_browser_page(response, page, html)  # WARC evidence, if on
            finally:
                await page.close()
            response = response.replace(body=html.encode("utf-8"), encoding="utf-8")
        parsed, page_item = self._page(response)
        if parsed is None:
            yield page_item
            return
        requests = list(self._list_entries(parsed, page_item))
        yield page_item  # before the requests it led to: the store sees causes first
        for request in requests:
            yield request
        for item in self._navigation(parsed):
            yield item

    def _list_entries(self, response: ParsedPage,
                      page_item: PageItem) -> Iterator[scrapy.Request]:
        """Detail requests for each entry; listings straight from the cards when no details."""
        spec = self.config.list
        entries = select_nodes(response.root, spec.item)
        self.crawler.stats.inc_value("certwatch/list/entries", len(entries))
        seen = page_item.seen_keys
        for entry in entries:
            links = select_strings(entry, spec.link) if spec.link else []
            href = links[0] if links else None
            url = response.urljoin(href.strip()) if href else None
            if self.config.detail is not None:
                if not url:
                    self.crawler.stats.inc_value("certwatch/list/entry_without_link")
                    continue
                key = self.key_for(url)
                seen.append(key)
                yield self._detail_request(url, key)
                continue
            values = extract_fields(entry, spec.fields)
            url = url or response.url
            key = self.key_for(url) if href else canonicalize_url(url) + "#" + str(len(seen))
            seen.append(key)
            listing = self._listing(key, url, values)
            if listing is not None:
                page_item.listings.append(listing)

    def _navigation(self, response: ParsedPage) -> Iterator[Any]:
        spec = self.config.list
        for selectors, kind in ((spec.next, "list"), (spec.follow, "follow")):
            for selector in selectors:
                for href in select_strings(response.root, selector):
                    url = response.urljoin(href.strip())
                    admitted, notes = self._admit_nav(url)
                    yield from notes
                    if admitted:
                        yield self._list_request(url, kind=kind)

    def _admit_nav(self, url: str) -> tuple[bool, list[PageItem]]:
        """Trap protection: cap list pages and the number of URLs of one shape."""
        parts = urlsplit(url)
        shape = _DIGITS.sub("#", parts.path + "?" + parts.query)
        self._shapes[shape] += 1
        stats = self.crawler.stats
        if self._shapes[shape] > self.config.limits.trap_shape_limit:
            stats.inc_value("certwatch/trap/dropped")
            if shape in self._trapped:
                return False, []
            self._trapped.add(shape)
            stats.inc_value("certwatch/errors/trap")
            self.logger.warning("trap: more than %d links shaped %s; stopped following",
                                self.config.limits.trap_shape_limit, shape)
            return False, [PageItem(url=url, fetched_at=utcnow(), kind="trap", error=(
                f"trap: more than {self.config.limits.trap_shape_limit} links shaped "
                f"{shape!r}; stopped following them"))]
        if self._nav_pages >= self.config.limits.list_pages:
            stats.inc_value("certwatch/limits/list_pages_dropped")
            return False, []
        self._nav_pages += 1
        return True, []

    def parse_detail(self, response: Response) -> Iterator[Any]:
        key = response.meta["certwatch_key"]
        if response.status in (404, 410):
            yield PageItem(url=response.request.url, final_url=response.url,
                           status=response.status, fetched_at=utcnow(), kind="detail",
                           headers=_headers(response), body=response.body, gone_key=key)
            return
        parsed, page_item = self._page(response)
        if parsed is not None and self.config.detail is not None:
            values = extract_fields(parsed.root, self.config.detail.fields)
            listing = self._listing(key, response.request.url, values)
            if listing is None:
                title_css = self.config.detail.fields["title"]
                page_item.error = f"extract: no title matched {title_css!r}"
                self.crawler.stats.inc_value("certwatch/errors/extract")
            else:
                page_item.listings.append(listing)
        yield page_item

    def _listing(self, key: str, url: str, values: dict[str, str]) -> ListingItem | None:
        title = values.get("title")
        if not title:
            return None
        extra = {k: v for k, v in values.items() if k not in CORE_FIELDS}
        return ListingItem(key=key, url=url, title=title, text=values.get("text", ""),
                           posted=values.get("posted"), fields=extra, seen_at=utcnow())

    def _page(self, response: Response) -> tuple[ParsedPage | None, PageItem]:
        """Record the fetch and return the page decoded with the right codec, parsed."""
        item = PageItem(url=response.request.url, final_url=response.url,
                        status=response.status, fetched_at=utcnow(),
                        kind=response.meta.get("certwatch_kind", ""),
                        headers=_headers(response), body=response.body)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        looks_html = "html" in content_type or response.body.lstrip()[:1] == b"<"
        if not isinstance(response, TextResponse) and not looks_html:
            item.error = f"not an HTML page (Content-Type {content_type or 'missing'!r})"
            self.crawler.stats.inc_value("certwatch/errors/not_html")
            return None, item
        codec, exact, text = detect_and_decode(response.body, content_type, self.config.encoding)
        item.encoding = codec
        if not exact:
            self.crawler.stats.inc_value("certwatch/encoding/lossy")
        text = page_text(response.url, response.body, codec, text)
        return parse_page(response.url, response.body, text, codec), item

    async def _run_actions(self, page: Any, actions: tuple[Action, ...]) -> str:
        for action in actions:
            timeout_ms = action.timeout * 1000
            if action.kind == "wait_for":
                await page.wait_for_selector(action.selector, timeout=timeout_ms)
            elif action.kind == "click_until_gone":
                for _ in range(action.max):
                    button = await page.query_selector(action.selector)
                    if button is None or not await button.is_visible():
                        break
                    before = len(await page.query_selector_all(action.item)) if action.item else 0
                    await button.click()
                    self.crawler.stats.inc_value("certwatch/browser/clicks")
                    if action.item:
                        await page.wait_for_function(
                            "([item, n, button]) => document.querySelectorAll(item).length > n"
                            " || !document.querySelector(button)",
                            arg=[action.item, before, action.selector], timeout=timeout_ms)
                else:
                    self.crawler.stats.inc_value("certwatch/limits/clicks_exhausted")
        return await page.content()

    # -- failures --------------------------------------------------------------------------
    async def on_error(self, failure: Failure) -> AsyncIterator[Any]:
        request = failure.request
        page = request.meta.get("playwright_page")
        if page is not None:
            await page.close()
        kind, message = failures.classify(failure)
        stats = self.crawler.stats
        stats.inc_value(f"certwatch/errors/{kind}")
        role = request.meta.get("certwatch_kind", "")
        if role in ("list", "follow"):
            stats.inc_value("certwatch/errors/nav_pages")
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
        if failure.check(IgnoreRequest) and kind == "ignored":
            return  # offsite, robots.txt and the like: not errors, Scrapy counts them
        self.logger.info("%s: %s (%s)", kind, request.url, message)
        yield PageItem(url=request.url, fetched_at=utcnow(), kind=role, status=status,
                       error=f"{kind}: {message}")


def _headers(response: Response) -> dict[str, list[str]]:
    # dict.items: Headers.items() re-normalises every key and value it already holds.
    return {k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in dict.items(response.headers)}


"""Keep every HTTP exchange as WARC records, as fetched, while the crawl runs.

Sits next to the download handler (order 950), so it sees each response before
decompression, redirects and retries rewrite it: every hop of a redirect chain and every
retried attempt is kept with its peer IP (`WARC-IP-Address`) and, over HTTPS, the server
certificate. Browser pages are captured from Chromium's own network events, with a stamped
full-page screenshot and the rendered DOM (`crawlers.browser_capture`). The writing itself
happens in a child process (`store.warc_process`), closed off the reactor thread before the
store closes the run record (`CAPTURE_CLOSING`), so the run's stats say what was captured
and any capture error counts in `certwatch/errors/warc`.
`CERTWATCH_WARC=0` switches it off.

The crawl's public address goes into warcinfo: `CERTWATCH_EXIT_IP` when set, else the
answer of `CERTWATCH_EXIT_IP_URL` (a service that returns the caller's IP as text), asked
once as the crawl starts; a failed look-up is recorded as such and the crawl goes on.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import logging
import os
import platform
import socket
import sys
import threading
import urllib.request
from collections.abc import Mapping
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

import scrapy
import twisted
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from certwatch import __version__
from certwatch.config import Config, crawl_home
from crawlers import browser_capture
from crawlers.pipelines.store import CAPTURE_CLOSING
from store.clock import utcnow
from store.warc import HttpMessage, warc_date
from store.warc_capture import Exchange, PageCapture
from store.warc_process import CaptureProcess

logger = logging.getLogger(__name__)

SENT_AT = "certwatch_warc_sent"
REASONS = {status.value: status.phrase for status in HTTPStatus}


def operator_name() -> str:
    try:
        fallback = getpass.getuser()
    except (KeyError, OSError):
        fallback = "unknown"
    return os.environ.get("CERTWATCH_OPERATOR") or fallback


EXIT_IP_TIMEOUT = 5.0  # seconds; the crawl's start waits at most this long for the answer


def lookup_exit_ip(url: str, timeout: float = EXIT_IP_TIMEOUT) -> dict[str, str]:
    """warcinfo fields for the address `url` says this machine comes from; a failure is
    recorded in `exit-ip`, never raised."""
    fields = {"exit-ip-source": url, "exit-ip-checked-at": warc_date(utcnow())}
    if urlsplit(url).scheme not in ("http", "https"):
        return {"exit-ip": "unknown (look-up failed: not an http(s) URL)", **fields}
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            text = answer.read(100).decode("ascii").strip()
        address = str(ipaddress.ip_address(text))
    except (OSError, ValueError) as exc:  # URLError, timeouts, HTTP errors; not an address
        reason = str(getattr(exc, "reason", None) or exc).replace("\n", " ")[:200]
        return {"exit-ip": f"unknown (look-up failed: {reason})", **fields}
    return {"exit-ip": address, **fields}


def exit_ip_fields(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    fixed = env.get("CERTWATCH_EXIT_IP")
    if fixed:  # the operator's word wins over any look-up
        return {"exit-ip": fixed, "exit-ip-source": "CERTWATCH_EXIT_IP"}
    url = env.get("CERTWATCH_EXIT_IP_URL")
    if url:
        return lookup_exit_ip(url)
    return {"exit-ip": "unknown (set CERTWATCH_EXIT_IP or CERTWATCH_EXIT_IP_URL)"}


class _ExitIp:
    """The look-up on its own thread from the middleware's creation, so it overlaps the
    crawler's start-up instead of adding to it."""

    def __init__(self) -> None:
        self.fields: dict[str, str] | None = None
        self._thread = threading.Thread(target=self._run, name="exit-ip", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.fields = exit_ip_fields()

    def result(self) -> dict[str, str]:
        self._thread.join(EXIT_IP_TIMEOUT + 1)
        return self.fields or {"exit-ip": "unknown (look-up did not answer in time)",
                               "exit-ip-source": os.environ.get("CERTWATCH_EXIT_IP_URL", "")}


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


class WarcCaptureMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        config = Config.from_env()
        self.home = crawl_home(settings)
        self.db_url = settings.get("CERTWATCH_DB_URL") or config.db_url
        self.operator = operator_name()
        self.exit_ip = _ExitIp()
        # Started here, before the crawl opens, so the child's start-up overlaps the engine's.
        self.writer: CaptureProcess | None = CaptureProcess()
        self.source = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        if not crawler.settings.getbool("CERTWATCH_WARC", True):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.close_capture, signal=CAPTURE_CLOSING)
        crawler.signals.connect(middleware.close_capture, signal=signals.spider_closed)
        return middleware

    # -- lifecycle -------------------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        config = getattr(spider, "config", None)
        self.source = config.name if config is not None else spider.name
        if self.writer is not None:
            self.writer.configure(self.home, self.db_url, source=self.source,
                                  info=self.warcinfo(spider))

    async def close_capture(self) -> None:
        """Write and index what is queued, in a thread (it may take seconds), then report.

        Runs when the store pipeline is about to close the run, or at spider_closed in a
        crawl without one; whichever comes first does it."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        await maybe_deferred_to_future(threads.deferToThread(writer.close))
        stats = self.crawler.stats
        stats.set_value("certwatch/warc/records", writer.records)
        stats.set_value("certwatch/warc/revisits", writer.revisits)
        stats.set_value("certwatch/warc/bytes", writer.bytes)
        stats.set_value("certwatch/warc/files", len(writer.files))
        if writer.unindexed:
            stats.set_value("certwatch/warc/unindexed", writer.unindexed)
        if writer.errors:
            stats.inc_value("certwatch/warc/errors", writer.errors)
        errors = stats.get_value("certwatch/warc/errors", 0)  # + the crawl thread's own
        if errors:
            stats.set_value("certwatch/errors/warc", errors)

    def warcinfo(self, spider: Spider) -> dict[str, str]:
        settings = self.crawler.settings
        info = {
            "software": f"certwatch/{__version__}",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                          "warc-format/warc-1.1/",
            "isPartOf": f"certwatch run {self.crawler.stats.get_value('certwatch/run_id')} "
                        f"source {self.source}",
            "hostname": socket.gethostname(),
            "operating-system": platform.platform(),
            "operator": self.operator,
            **self.exit_ip.result(),
            "http-header-user-agent": settings.get("USER_AGENT"),
            "http-header-accept-language": settings.getdict("DEFAULT_REQUEST_HEADERS").get(
                "Accept-Language"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "python": sys.version.split()[0],
            "scrapy": scrapy.__version__,
            "twisted": twisted.__version__,
            "warcio": _version("warcio"),
            "capture": "as fetched by the crawler, written while it ran; header lines as the "
                       "HTTP client delivered them; chunked bodies are stored de-chunked "
                       "(the client consumes Transfer-Encoding)",
        }
        if settings.get("PLAYWRIGHT_LAUNCH_OPTIONS"):
            info["playwright"] = _version("playwright")
            info["scrapy-playwright"] = _version("scrapy-playwright")
            options = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
            info["browser"] = options.get("executable_path") or "playwright chromium"
            contexts = settings.getdict("PLAYWRIGHT_CONTEXTS")
            info["browser-contexts"] = json.dumps(contexts, sort_keys=True) if contexts else (
                "scrapy-playwright's default context: viewport, locale and time zone not set "
                "(Chromium's defaults); page navigations send the crawler's User-Agent and "
                "Accept-Language; each page's build, viewport and language are in its "
                "metadata record (WARC-Concurrent-To the page)")
            info["browser-capture"] = (
                "network exchanges as Chromium reported them; bodies arrive decoded, so "
                "Content-Encoding/Transfer-Encoding are renamed X-Certwatch-Original-* and "
                "Content-Length is the stored body's (the original in "
                "X-Certwatch-Original-Content-Length)")
        return info

    # -- requests and responses ------------------------------------------------------------
    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        request.meta[SENT_AT] = utcnow()
        if request.meta.get("playwright"):
            browser_capture.prepare(request, self)
        return None

    async def process_response(self, request: Request, response: Response,
                               spider: Spider | None = None) -> Response:
        if self.writer is None:
            return response
        if "playwright" in response.flags:
            if request.meta.pop(browser_capture.OWNS_PAGE, False):
                page = request.meta.pop("playwright_page", None)
                if page is not None:
                    try:
                        await browser_capture.capture(response, page, response.body)
                    finally:
                        await page.close()
            return response
        try:
            self.writer.submit(self.page_capture(request, [scrapy_exchange(request, response)]))
        except Exception:  # capture must never cost the page itself
            self.crawler.stats.inc_value("certwatch/warc/errors")
            logger.exception("WARC capture failed for %s", response.url)
        return response

    def page_capture(self, request: Request, exchanges: list[Exchange], **kw: Any) -> PageCapture:
        meta = request.meta
        redirects = meta.get("redirect_urls") or [request.url]
        referrer = request.headers.get(b"Referer")
        return PageCapture(
            source=self.source, page_url=redirects[0],
            run_id=self.crawler.stats.get_value("certwatch/run_id"),
            kind="robots" if meta.get("dont_obey_robotstxt") and request.url.endswith(
                "/robots.txt") else meta.get("certwatch_kind", ""),
            listing_key=meta.get("certwatch_key"),
            referrer=referrer.decode("latin-1") if referrer else None,
            exchanges=exchanges, **kw)


def scrapy_exchange(request: Request, response: Response) -> Exchange:
    """The exchange as Scrapy's HTTP client saw it (body before content decoding)."""
    parts = urlsplit(request.url)
    proxied = bool(request.meta.get("proxy")) and parts.scheme == "http"
    # Through an HTTP proxy the request line carries the absolute URI, as sent.
    target = request.url if proxied else (parts.path or "/") + (
        f"?{parts.query}" if parts.query else "")
    headers = _pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    status = response.status
    certificate = None
    if response.certificate is not None:
        try:
            certificate = response.certificate.dumpPEM()
        except Exception:  # an unusual certificate object: keep the page, note nothing
            certificate = None
    received = utcnow()
    return Exchange(
        url=response.url,
        request=HttpMessage(f"{request.method} {target} HTTP/1.1", headers, request.body),
        response=HttpMessage(f"{status} {REASONS.get(status, '')}".rstrip(),
                             _pairs(response.headers),
                             response.body, protocol=response.protocol or "HTTP/1.1"),
        sent_at=request.meta.get(SENT_AT) or received, received_at=received, status=status,
        ip_address=str(response.ip_address) if response.ip_address else None,
        certificate=certificate)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    # dict.items: Scrapy's Headers.items() re-normalises every key and value it holds.
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in dict.items(headers) for value in values]

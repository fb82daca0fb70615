"""Capture a browser page as evidence: Chromium's network exchanges, a stamped screenshot, DOM.

`prepare` (from the WARC middleware, before the download) listens to the page's `response`
events; `capture` (after the page is rendered and any source actions ran, before it closes)
reads each exchange's headers and body from the browser, takes a full-page screenshot
stamped with the capture time, URL and operator, notes the settings the browser rendered it
with (build, viewport, user agent, language: a `metadata` record, role `browser`), and
hands everything to the writer. The
spider calls `capture` itself for pages it keeps open for actions; the middleware does it for
the others.

Chromium hands over bodies decoded (no gzip/br, no chunking) but the headers as received. So
that the record holds what its headers describe, and hashes the same as the Scrapy path's,
`Content-Encoding` and `Transfer-Encoding` are renamed `X-Certwatch-Original-*` (the
Browsertrix/pywb convention, `X-Archive-Orig-*` style) and `Content-Length` is the body's.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.screenshot_stamp import stamp_screenshot
from store.clock import utcnow
from store.warc import HttpMessage
from store.warc_capture import Blob, Exchange

logger = logging.getLogger(__name__)

NETWORK = "certwatch_warc_network"
MIDDLEWARE = "certwatch_warc"
OWNS_PAGE = "certwatch_warc_owns_page"  # the page is ours to screenshot and close
ORIGINAL_PREFIX = "X-Certwatch-Original-"
DECODED_BY_BROWSER = ("content-encoding", "transfer-encoding")


class NetworkLog:
    """Playwright responses seen by one page, with the time each arrived."""

    def __init__(self) -> None:
        self.responses: list[tuple[Any, datetime]] = []

    def on_response(self, response: Any) -> None:
        self.responses.append((response, utcnow()))


def prepare(request: Request, middleware: Any) -> None:
    meta = request.meta
    log = meta.get(NETWORK)
    if log is None:
        log = meta[NETWORK] = NetworkLog()
    handlers = dict(meta.get("playwright_page_event_handlers") or {})
    handlers["response"] = log.on_response
    meta["playwright_page_event_handlers"] = handlers
    meta[MIDDLEWARE] = middleware
    if not meta.get("playwright_include_page"):
        # We need the page after the download to screenshot it; we close it ourselves.
        meta["playwright_include_page"] = True
        meta[OWNS_PAGE] = True


async def capture(response: Response, page: Any, html: str | bytes) -> None:
    """Record `page` (rendered as `html`) for `response`; a no-op when capture is off.

    `html` is what the store keeps for the page: text the spider encodes as UTF-8, or the
    response body (bytes, in the response's encoding), so the DOM record hashes the same.
    """
    middleware = response.meta.get(MIDDLEWARE)
    log: NetworkLog | None = response.meta.get(NETWORK)
    if middleware is None or log is None or middleware.writer is None:
        return
    stats = middleware.crawler.stats
    try:
        exchanges = await _exchanges(log, response.url)
        at = utcnow()
        png = await page.screenshot(full_page=True, type="png")
        stamped = await asyncio.to_thread(stamp_screenshot, png, url=response.url, at=at,
                                          operator=middleware.operator)
        if isinstance(html, bytes):
            dom, charset = html, getattr(response, "encoding", None) or "utf-8"
        else:
            dom, charset = html.encode("utf-8"), "utf-8"
        settings = json.dumps(await browser_settings(page, exchanges), ensure_ascii=False,
                              sort_keys=True).encode("utf-8")
        blobs = [Blob("screenshot", f"urn:screenshot:{response.url}", stamped, "image/png", at),
                 Blob("dom", f"urn:dom:{response.url}", dom, f"text/html; charset={charset}",
                      at),
                 Blob("browser", response.url, settings, "application/json", at,
                      record_type="metadata")]
        middleware.writer.submit(middleware.page_capture(
            response.request, exchanges, blobs=blobs))
        stats.inc_value("certwatch/warc/browser_pages")
    except Exception:  # capture must never cost the page itself
        stats.inc_value("certwatch/warc/errors")
        logger.exception("browser capture failed for %s", response.url)


# What the page's scripts see; a page could override these, so the headers actually sent
# (the page's request record, and `sent_headers` here) are the primary evidence.
_NAVIGATOR = """() => ({userAgent: navigator.userAgent, language: navigator.language,
  languages: Array.from(navigator.languages || []),
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone})"""


async def browser_settings(page: Any, exchanges: list[Exchange]) -> dict[str, Any]:
    """The browser build, viewport, user agent and language this page was rendered with."""
    browser = page.context.browser
    out: dict[str, Any] = {
        "browser": f"{browser.browser_type.name.capitalize()} {browser.version}"
        if browser is not None else None,
        "viewport": page.viewport_size,
        "sent_headers": {},
    }
    document = next((ex for ex in exchanges if ex.role == "page"), None)
    if document is not None:
        wanted = ("user-agent", "accept-language")
        out["sent_headers"] = {name: value for name, value in document.request.headers
                               if name.lower() in wanted}
    try:
        out["navigator"] = await page.evaluate(_NAVIGATOR)
    except Exception:  # a closed or crashed page: the rest still stands
        out["navigator"] = None
    return out


async def _exchanges(log: NetworkLog, page_url: str) -> list[Exchange]:
    """Every http(s) exchange the page made, its own document first."""
    found: list[Exchange] = []
    for pw_response, received in list(log.responses):
        if not pw_response.url.startswith(("http://", "https://")):
            continue
        found.append(await _exchange(pw_response, received))
    # The rendered document first (resources point at it), then its redirects, then the rest.
    found.sort(key=lambda ex: (ex.role != "page", ex.url != page_url))
    return found


async def _exchange(pw_response: Any, received: datetime) -> Exchange:
    pw_request = pw_response.request
    try:
        body = await pw_response.body()
    except Exception:  # redirects and evicted bodies have none to give
        body = b""
    request_headers = await pw_request.headers_array()
    response_headers = await pw_response.headers_array()
    ip = None
    certificate = None
    try:
        address = await pw_response.server_addr()
        ip = address["ipAddress"] if address else None
        details = await pw_response.security_details()
        if details:
            certificate = json.dumps(details, ensure_ascii=False, sort_keys=True).encode()
    except Exception:  # the page may be gone; the exchange itself is still worth keeping
        pass
    timing = pw_request.timing or {}
    start = timing.get("startTime") or 0
    sent = datetime.fromtimestamp(start / 1000, UTC) if start > 0 else received
    url = pw_response.url
    try:
        is_document = (pw_request.is_navigation_request()
                       and pw_request.frame.parent_frame is None)
    except Exception:  # service-worker requests have no frame
        is_document = False
    post = pw_request.post_data_buffer or b""
    return Exchange(
        url=url,
        request=HttpMessage(f"{pw_request.method} {_target(url)} HTTP/1.1",
                            [(h["name"], h["value"]) for h in request_headers], post),
        response=HttpMessage(f"{pw_response.status} {pw_response.status_text}".strip(),
                             as_decoded(response_headers, body), body),
        sent_at=sent, received_at=received, status=pw_response.status, ip_address=ip,
        certificate=certificate, certificate_type="application/json",
        role="page" if is_document else "subresource")


def as_decoded(headers: list[dict[str, str]], body: bytes) -> list[tuple[str, str]]:
    """Response headers that describe `body` as Chromium delivered it (decoded, de-chunked)."""
    pairs = [(h["name"], h["value"]) for h in headers]
    if not any(name.lower() in DECODED_BY_BROWSER for name, _ in pairs):
        return pairs
    out = [(ORIGINAL_PREFIX + name if name.lower() in DECODED_BY_BROWSER else name, value)
           for name, value in pairs if name.lower() != "content-length"]
    length = next((value for name, value in pairs if name.lower() == "content-length"), None)
    if length is not None:
        out.append((ORIGINAL_PREFIX + "Content-Length", length))
    out.append(("Content-Length", str(len(body))))
    return out


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

"""Name what went wrong with a request, for stats, the page record and the run summary."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

try:  # Playwright's own time-out, when a browser page hangs
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # pragma: no cover - playwright is a hard dependency
    PlaywrightTimeoutError = TimeoutError


def classify(failure: Failure) -> tuple[str, str]:
    """(kind, message): kind is a short slash-free name used in stats keys."""
    value = failure.value
    message = str(value).strip() or type(value).__name__
    if failure.check(HttpError):
        status = value.response.status
        if status == 429:
            return "rate_limited", "HTTP 429 after honouring Retry-After; gave up"
        return f"http_{status}", f"HTTP {status}"
    if failure.check(DownloadTimeoutError, TwistedTimeoutError, PlaywrightTimeoutError):
        return "timeout", message
    if failure.check(DownloadCancelledError, CancelledError):
        # Scrapy cancels a download once it passes DOWNLOAD_MAXSIZE.
        return "too_large", message
    if failure.check(IgnoreRequest):
        if message.startswith("redirect loop"):
            return "redirect_loop", message
        if "max redirections" in message:
            return "redirect_loop", "redirected too many times (loop?)"
        if "loopback-only" in message:
            return "blocked_host", message
        return "ignored", message
    if failure.check(CannotResolveHostError):
        return "dns", message
    if failure.check(DownloadConnectionRefusedError):
        return "connection_refused", message
    if failure.check(ResponseDataLossError, DownloadFailedError):
        return "connection", message
    return type(value).__name__.lower(), message

"""Exceptions raised by the crawlers package."""


class CrawlerError(Exception):
    """Base class for crawler set-up failures; the message says how to fix it."""


class SourceConfigError(CrawlerError):
    """A source file is wrong: the message names the file, the field and what is allowed."""


class BrowserUnavailable(CrawlerError):
    """No usable Chromium for a source that needs a browser."""

"""Scrapy settings for certwatch; sources override the politeness and limit ones per crawl."""

import os

BOT_NAME = "certwatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) certwatch/0.1"
ROBOTSTXT_OBEY = True

# Politeness defaults; a source file can loosen them for its own site only.
CONCURRENT_REQUESTS = 32
# The store pipeline is synchronous: parallel item processing buys nothing, and Scrapy starts
# this many asyncio tasks per response.
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Limits that keep hostile sites from hanging or exhausting a crawl.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 100
RETRY_TIMES = 2
# 429 is handled by RetryAfterMiddleware, which waits as the server asks.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
HTTPERROR_ALLOWED_CODES = [404, 410]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Per-request byte and status counters: the store already records each page's status, size
# and error, and counting cost ~5% of a crawl's CPU.
DOWNLOADER_STATS = False

DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.hostmap.HostMapMiddleware": 60,
    "crawlers.middlewares.retry_after.RetryAfterMiddleware": 540,
    "crawlers.middlewares.redirect_loop.RedirectLoopMiddleware": 610,
    # Next to the download handler: sees every hop and attempt before decompression.
    "crawlers.middlewares.warc_capture.WarcCaptureMiddleware": 950,
}
# Skips detail pages a killed crawl of the same night already stored (see the module).
SPIDER_MIDDLEWARES = {"crawlers.middlewares.resume.ResumeMiddleware": 950}
ITEM_PIPELINES = {"crawlers.pipelines.store.StorePipeline": 300}
EXTENSIONS = {
    "crawlers.extensions.progress.Progress": 500,
    "crawlers.extensions.gc_freeze.GcFreeze": 510,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
PLAYWRIGHT_BROWSER_TYPE = "chromium"

LOG_LEVEL = os.environ.get("CERTWATCH_LOG_LEVEL", "INFO")

# certwatch's own settings (see README "Configuration").
CERTWATCH_HOST_MAP: dict[str, str] = {}
CERTWATCH_LOOPBACK_ONLY = False
CERTWATCH_PROGRESS_INTERVAL = 0.0
CERTWATCH_NIGHT = None
CERTWATCH_BATCH = None
CERTWATCH_RESUME = True
CERTWATCH_RESUME_HOURS = 12.0  # an interrupted run older than this is not resumed
CERTWATCH_SCORE = True  # score listings with the installed classifier as they are stored
# Keep every exchange as WARC records (README "Capture at crawl time"); 0 switches it off.
CERTWATCH_WARC = os.environ.get("CERTWATCH_WARC", "1").lower() not in ("0", "off", "false", "no")
CERTWATCH_GC_FREEZE = True  # keep full GC passes off the start-up heap during a crawl

# `scrapy crawl listings -a source=NAME` against a running sandbox: point at it.
if os.environ.get("CERTWATCH_SANDBOX", "") not in ("", "auto", "off"):
    from crawlers.sandbox_map import sandbox_host_map  # noqa: E402

    CERTWATCH_HOST_MAP = sandbox_host_map(os.environ["CERTWATCH_SANDBOX"])
    CERTWATCH_LOOPBACK_ONLY = True

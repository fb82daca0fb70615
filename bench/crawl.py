"""Crawl throughput: certwatch's full pipeline vs a bare Scrapy spider, same sandbox, same run.

    .venv/bin/python bench/crawl.py [--rounds 3]

Both crawl the sandbox job board (jobs58: list pages + every detail page) through the same
loopback proxy with the same per-domain concurrency and no delay. The bare spider only fetches
and follows links; certwatch also decodes, extracts, writes every body to the content-addressed
store and every page and listing to SQLite. Rounds alternate so drift hits both equally.
Prints pages/s per round, the medians, and the ratios to bare (target ≥ 0.7) for three
certwatch configurations: storing pages and listings (`certwatch`), the same plus WARC
evidence capture of every exchange (`+warc`, `CERTWATCH_WARC`), and the default with
everything on, also scoring every new listing with the classifier (`+warc+score`,
`CERTWATCH_SCORE`).

It also prints the CPU time per page (the crawler process, all threads, plus its WARC
writer and scoring child processes; not the sandbox's) and the same ratios computed from it. On a
shared, loaded machine wall-clock rates mostly measure the neighbours; CPU per page is what
the pipeline itself costs and moves far less with load. Each round crawls with every
configuration back to back, so the ratio within a round is a paired comparison: the
median of those per-round ratios is printed too, and is the steadier figure when the
machine's speed drifts between rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scrapy  # noqa: E402
from scrapy.crawler import Crawler, CrawlerRunner  # noqa: E402
from scrapy.settings import Settings  # noqa: E402
from scrapy.utils.reactor import install_reactor  # noqa: E402

from bench.cpu_time import cpu_seconds  # noqa: E402
from certwatch.config import Config  # noqa: E402
from certwatch.crawl import crawl_settings  # noqa: E402
from certwatch.sandbox_proc import embedded_sandbox  # noqa: E402
from crawlers.sandbox_map import sandbox_host_map  # noqa: E402
from crawlers.sources import select_sources  # noqa: E402
from crawlers.spiders.listings import ListingsSpider  # noqa: E402

SOURCE = "jobs58"
CERTWATCH_SETTINGS = Settings()
CERTWATCH_SETTINGS.setmodule("crawlers.settings")
# AutoThrottle exists to slow a crawl down on purpose; with it on, Scrapy sends one request per
# delay window and the figure would measure politeness, not pipeline cost. Both spiders run
# with the source's concurrency and no delay.
FULL_OVERRIDES = {"LOG_LEVEL": "ERROR", "AUTOTHROTTLE_ENABLED": False}
CONFIGS = {
    "certwatch": {"CERTWATCH_WARC": False, "CERTWATCH_SCORE": False},
    "+warc": {"CERTWATCH_WARC": True, "CERTWATCH_SCORE": False},
    "+warc+score": {"CERTWATCH_WARC": True, "CERTWATCH_SCORE": True},
}


class BareSpider(scrapy.Spider):
    """Fetch list pages and details, extract only the links needed to find them."""

    name = "bare"

    def __init__(self, start_url: str, proxy: str, item: str, link: str, next_: str, **kw):
        super().__init__(**kw)
        self.start_url, self.proxy = start_url, proxy
        self.item, self.link, self.next_ = item, link, next_

    async def start(self):
        yield scrapy.Request(self.start_url, meta={"proxy": self.proxy})

    def parse(self, response):
        for href in response.css(f"{self.item} {self.link}").getall():
            yield response.follow(href, self.parse_detail, meta={"proxy": self.proxy},
                                  priority=10)
        for href in response.css(self.next_).getall():
            yield response.follow(href, meta={"proxy": self.proxy})

    def parse_detail(self, response):
        return None


def bare_settings(concurrency: int) -> Settings:
    return Settings({
        "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
        # certwatch's own value, so the comparison isolates the pipeline's cost.
        "CONCURRENT_ITEMS": CERTWATCH_SETTINGS.getint("CONCURRENT_ITEMS"),
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    })


def crawl_timed(runner: CrawlerRunner, crawler: Crawler, cpu: dict[Crawler, float],
                **kwargs):
    """runner.crawl, noting the CPU seconds the crawl took."""
    started = cpu_seconds()
    d = runner.crawl(crawler, **kwargs)
    d.addCallback(lambda _: cpu.__setitem__(crawler, cpu_seconds() - started))
    return d


def pages_per_second(crawler: Crawler) -> tuple[int, float]:
    stats = crawler.stats.get_stats()
    pages = stats.get("response_received_count", 0)
    elapsed = (stats["finish_time"] - stats["start_time"]).total_seconds()
    return pages, pages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import defer, reactor

    (source,) = select_sources([SOURCE])
    results: dict[str, list[float]] = {"bare": [], **{name: [] for name in CONFIGS}}
    cpu_ms: dict[str, list[float]] = {name: [] for name in results}
    cpu: dict[Crawler, float] = {}

    with embedded_sandbox(night=1) as address, tempfile.TemporaryDirectory() as tmp:
        host_map = sandbox_host_map(address)
        runner = CrawlerRunner()

        @defer.inlineCallbacks
        def rounds():
            for i in range(args.rounds):
                bare = Crawler(BareSpider, bare_settings(source.politeness.concurrency))
                yield crawl_timed(runner, bare, cpu, start_url=source.start_urls[0],
                                  proxy=f"http://{address}", item=source.list.item,
                                  link=source.list.link, next_=source.list.next[0])
                crawlers = {"bare": bare}
                for name, options in CONFIGS.items():
                    home = Path(tmp) / f"{name}-{i}"
                    config = Config.from_env({"CERTWATCH_HOME": str(home)})
                    config.ensure_dirs()
                    settings = crawl_settings(
                        config, batch=f"bench{i}", host_map=host_map, loopback_only=True,
                        progress_interval=0, log_file=None,
                        extra={**FULL_OVERRIDES, **options})
                    crawlers[name] = Crawler(ListingsSpider, settings)
                    yield crawl_timed(runner, crawlers[name], cpu, source=SOURCE)
                for name, crawler in crawlers.items():
                    pages, rate = pages_per_second(crawler)
                    results[name].append(rate)
                    cpu_ms[name].append(1000 * cpu[crawler] / pages)
                    print(f"round {i + 1}  {name:<15} {pages:>5} pages  {rate:8.1f} pages/s"
                          f"  {cpu_ms[name][-1]:6.2f} CPU ms/page", flush=True)
            reactor.stop()

        def run() -> None:
            d = rounds()
            d.addErrback(lambda failure: (failure.printTraceback(), reactor.stop()))

        reactor.callWhenRunning(run)
        started = time.monotonic()
        reactor.run()
    medians = {name: statistics.median(rates) for name, rates in results.items()}
    cpu_medians = {name: statistics.median(ms) for name, ms in cpu_ms.items()}
    for name, rate in medians.items():
        print(f"median   {name:<15} {rate:8.1f} pages/s  {cpu_medians[name]:6.2f} CPU ms/page")
    for name in CONFIGS:
        paired = statistics.median(rate / bare for rate, bare in zip(results[name], results["bare"],
                                                                     strict=True))
        print(f"ratio {name}/bare = {medians[name] / medians['bare']:.2f} (pages/s), "
              f"{paired:.2f} (median of the rounds' own ratios), "
              f"{cpu_medians['bare'] / cpu_medians[name]:.2f} (CPU per page)")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"(target >= 0.70; {args.rounds} rounds, {time.monotonic() - started:.0f} s, "
          f"load average at the end {load} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()

"""Capture cost: crawl pages/s with WARC capture on vs off, same sandbox, same run.

    .venv/bin/python bench/evidence_capture.py [--rounds 5] [--no-score]

Both variants are certwatch's full pipeline crawling the sandbox job board (jobs58: list
pages + every detail page) with the source's concurrency, no delay and AutoThrottle off (as
`bench/crawl.py`); they differ only in `CERTWATCH_WARC`. Each round crawls into a fresh
`CERTWATCH_HOME`, so WARC-on rounds write full response records, not revisits. Rounds
alternate so drift hits both equally. Prints pages/s per round, the medians, the ratio
on/off (target ≥ 0.85; the issue's floor is 0.5), the crawling process's CPU time per page
(all threads and its WARC writer and scoring processes; steadier than pages/s on a busy
machine) and the WARC bytes written per page.
`capture_throughput()` is importable for `bench/evidence.py`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapy.crawler import Crawler, CrawlerRunner  # noqa: E402
from scrapy.utils.reactor import install_reactor  # noqa: E402

from bench.cpu_time import cpu_seconds  # noqa: E402
from certwatch.config import Config  # noqa: E402
from certwatch.crawl import crawl_settings  # noqa: E402
from certwatch.sandbox_proc import embedded_sandbox  # noqa: E402
from crawlers.sandbox_map import sandbox_host_map  # noqa: E402
from crawlers.spiders.listings import ListingsSpider  # noqa: E402

SOURCE = "jobs58"
OVERRIDES = {"LOG_LEVEL": "ERROR", "AUTOTHROTTLE_ENABLED": False}
VARIANTS = (("warc off", False), ("warc on", True))


def capture_throughput(rounds: int = 5, score: bool = True,
                       echo: bool = True) -> dict[str, object]:
    """Run the rounds (installs and runs the asyncio reactor; call once per process)."""
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import defer, reactor

    rates: dict[str, list[float]] = {name: [] for name, _ in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name, _ in VARIANTS}
    warc_bytes: list[float] = []
    with embedded_sandbox(night=1) as address, tempfile.TemporaryDirectory() as tmp:
        host_map = sandbox_host_map(address)
        runner = CrawlerRunner()

        @defer.inlineCallbacks
        def run_rounds():
            # Round 0 warms both variants up (imports, classifier, WARC writer) unrecorded.
            for i in range(rounds + 1):
                order = VARIANTS if i % 2 == 0 else VARIANTS[::-1]
                for name, warc in order:
                    home = Path(tmp) / f"{'on' if warc else 'off'}-{i}"
                    config = Config.from_env({"CERTWATCH_HOME": str(home)})
                    config.ensure_dirs()
                    settings = crawl_settings(
                        config, batch=f"bench{i}", host_map=host_map, loopback_only=True,
                        progress_interval=0, log_file=None,
                        extra={**OVERRIDES, "CERTWATCH_SCORE": score, "CERTWATCH_WARC": warc})
                    crawler = Crawler(ListingsSpider, settings)
                    cpu_start = cpu_seconds()
                    yield runner.crawl(crawler, source=SOURCE)
                    cpu_used = cpu_seconds() - cpu_start
                    stats = crawler.stats.get_stats()
                    pages = stats.get("response_received_count", 0)
                    elapsed = (stats["finish_time"] - stats["start_time"]).total_seconds()
                    if i == 0:
                        continue
                    rates[name].append(pages / elapsed)
                    cpu[name].append(cpu_used * 1000 / max(pages, 1))
                    if warc:
                        warc_bytes.append(stats.get("certwatch/warc/bytes", 0) / max(pages, 1))
                    if echo:
                        print(f"round {i}  {name:<9} {pages:>5} pages  "
                              f"{pages / elapsed:8.1f} pages/s  "
                              f"{cpu[name][-1]:5.2f} CPU ms/page", flush=True)
            reactor.stop()

        def start() -> None:
            d = run_rounds()
            d.addErrback(lambda failure: (failure.printTraceback(), reactor.stop()))

        reactor.callWhenRunning(start)
        reactor.run()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    cpu_ms = {name: statistics.median(values) for name, values in cpu.items()}
    return {"medians": medians, "ratio": medians["warc on"] / medians["warc off"],
            "cpu_ms_per_page": cpu_ms, "cpu_ratio": cpu_ms["warc off"] / cpu_ms["warc on"],
            "warc_bytes_per_page": statistics.median(warc_bytes) if warc_bytes else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-score", action="store_true",
                        help="crawl without the classifier (capture cost against less work)")
    args = parser.parse_args()
    started = time.monotonic()
    result = capture_throughput(args.rounds, score=not args.no_score)
    for name, rate in result["medians"].items():
        print(f"median   {name:<9} {rate:8.1f} pages/s  "
              f"{result['cpu_ms_per_page'][name]:5.2f} CPU ms/page")
    # CPU per page is what a loaded machine feels; it is steadier than wall-clock rates.
    print(f"CPU ratio off/on = {result['cpu_ratio']:.2f}")
    print(f"ratio warc on/off = {result['ratio']:.2f}  (target >= 0.85; "
          f"{result['warc_bytes_per_page'] / 1024:.1f} KiB of WARC per page; "
          f"{args.rounds} rounds, {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()

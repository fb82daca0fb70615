"""A crawl started with its own CERTWATCH_HOME in its settings (as the benchmarks do) keeps
its bodies, WARC files and database together there, whatever the environment says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

SCRIPT = """
import sys
from pathlib import Path
from scrapy.crawler import CrawlerProcess
from certwatch.config import Config
from certwatch.crawl import crawl_settings
from certwatch.sandbox_proc import embedded_sandbox
from crawlers.sandbox_map import sandbox_host_map
from crawlers.spiders.listings import ListingsSpider

config = Config.from_env({"CERTWATCH_HOME": sys.argv[1]})
config.ensure_dirs()
with embedded_sandbox(night=1) as address:
    settings = crawl_settings(config, batch="b", host_map=sandbox_host_map(address),
                              loopback_only=True, progress_interval=0, log_file=None,
                              extra={"LOG_LEVEL": "ERROR", "CERTWATCH_SCORE": False,
                                     "CLOSESPIDER_PAGECOUNT": 20})
    process = CrawlerProcess(settings)
    process.crawl(ListingsSpider, source="tieba")
    process.start()
"""


def test_bodies_warc_and_database_share_the_crawls_home(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "environment-home"
    env = {**os.environ, "CERTWATCH_HOME": str(elsewhere)}
    env.pop("CERTWATCH_DB_URL", None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(home)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (home / "certwatch.db").exists()
    assert any((home / "bodies").rglob("*")) and any((home / "warc").rglob("*.warc.gz"))
    assert not elsewhere.exists() or not any(elsewhere.rglob("*"))

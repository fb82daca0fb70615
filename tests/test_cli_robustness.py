"""The CLI under bad conditions: dead databases, broken source files, Ctrl-C, SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from crawlers.sources import BUNDLED_DIR
from sandbox.server import SandboxServer
from sandbox.truth import DEFAULT_SEED
from sandbox.truth import listings as truth_listings
from store.models import CrawlRun, Listing, ListingVersion
from tests.conftest import REPO, certwatch, listings_jsonl


@pytest.fixture(scope="module")
def sandbox() -> SandboxServer:
    with SandboxServer(night=1) as server:
        yield server


def slow_source_dir(tmp_path: Path) -> Path:
    """jobs58 made slow (one request at a time, with a delay) so a crawl can be caught mid-way."""
    text = (BUNDLED_DIR / "jobs58.yaml").read_text("utf-8")
    text = text.replace("name: jobs58", "name: slowjobs").replace(
        "  delay: 0\n  concurrency: 8", "  delay: 0.03\n  concurrency: 1\n  autothrottle: false")
    assert "slowjobs" in text and "autothrottle: false" in text
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "slowjobs.yaml").write_text(text, "utf-8")
    return tmp_path / "sources"


def test_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    for args in (("crawl", "--source", "jobs58"), ("listings",), ("db", "upgrade")):
        proc = certwatch(*args, home=tmp_path, check=False,
                         env={"CERTWATCH_DB_URL": "postgresql://cw:pw@127.0.0.1:1/certwatch"})
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("certwatch: error: cannot reach database postgresql://")
        assert "Traceback" not in proc.stderr and ":pw@" not in proc.stderr


def test_broken_source_file_names_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "name: bad\nstart_urls: [http://x.cn/]\nlist: {item: li, fields: {title: h1}}\n"
        "politeness: {delay: -1}\n",
        "utf-8")
    proc = certwatch("crawl", home=tmp_path, check=False,
                     env={"CERTWATCH_SOURCES_DIR": str(tmp_path)})
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"certwatch: error: {tmp_path / 'bad.yaml'}: field 'politeness.delay': "
        "expected a number ≥ 0, got -1")


def test_scrapy_crawl_still_works(tmp_path: Path, sandbox: SandboxServer) -> None:
    env = {**os.environ, "CERTWATCH_HOME": str(tmp_path), "CERTWATCH_SANDBOX": sandbox.address}
    proc = subprocess.run([str(Path(sys.executable).parent / "scrapy"), "crawl", "listings",
                           "-a", "source=zhipin", "-s", "LOG_LEVEL=WARNING"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    want = {t.url for t in truth_listings(DEFAULT_SEED, 1) if t.site == "zhipin"}
    assert {r["url"] for r in listings_jsonl(tmp_path)} == want


@pytest.mark.postgres
def test_crawl_into_postgresql(tmp_path: Path, postgres_url: str) -> None:
    env = {"CERTWATCH_DB_URL": postgres_url}
    certwatch("crawl", "--source", "zhipin", home=tmp_path, env=env)
    certwatch("crawl", "--source", "zhipin", home=tmp_path, env=env)  # idempotent there too
    want = {t.url for t in truth_listings(DEFAULT_SEED, 1) if t.site == "zhipin"}
    rows = listings_jsonl(tmp_path, env=env)
    assert {r["url"] for r in rows} == want and len(rows) == len(want)
    engine = create_engine(postgres_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ListingVersion)) == len(want)
        assert set(session.scalars(select(CrawlRun.status))) == {"finished"}
    engine.dispose()


def _start_slow_crawl(tmp_path: Path, sandbox: SandboxServer) -> subprocess.Popen:
    env = {**os.environ, "CERTWATCH_HOME": str(tmp_path), "CERTWATCH_SANDBOX": sandbox.address,
           "CERTWATCH_SOURCES_DIR": str(slow_source_dir(tmp_path))}
    return subprocess.Popen([sys.executable, "-m", "certwatch.cli", "crawl", "--source",
                             "slowjobs"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_listings(home: Path, at_least: int, timeout: float = 60) -> int:
    engine = create_engine(f"sqlite:///{home / 'certwatch.db'}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with Session(engine) as session:
                n = session.scalar(select(func.count()).select_from(Listing))
            if n >= at_least:
                return n
        except Exception:  # tables not created yet
            pass
        time.sleep(0.2)
    raise AssertionError(f"fewer than {at_least} listings after {timeout}s")


def _assert_consistent(home: Path) -> None:
    with Session(create_engine(f"sqlite:///{home / 'certwatch.db'}")) as session:
        orphans = session.scalar(select(func.count()).select_from(Listing).where(
            ~Listing.versions.any()))
        assert orphans == 0  # never a listing without its version


def test_ctrl_c_marks_run_interrupted(tmp_path: Path, sandbox: SandboxServer) -> None:
    proc = _start_slow_crawl(tmp_path, sandbox)
    _wait_for_listings(tmp_path, 20)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err[-2000:]
    assert "interrupted" in out
    with Session(create_engine(f"sqlite:///{tmp_path / 'certwatch.db'}")) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.close_reason) == ("interrupted", "shutdown")
        assert session.scalar(select(func.count()).select_from(Listing)
                              .where(Listing.removed.is_(True))) == 0
    _assert_consistent(tmp_path)


def test_sigkill_leaves_no_half_writes_and_next_run_recovers(
        tmp_path: Path, sandbox: SandboxServer) -> None:
    proc = _start_slow_crawl(tmp_path, sandbox)
    _wait_for_listings(tmp_path, 20)
    proc.kill()
    proc.communicate(timeout=30)
    _assert_consistent(tmp_path)
    env = {"CERTWATCH_SANDBOX": sandbox.address,
           "CERTWATCH_SOURCES_DIR": str(tmp_path / "sources")}
    done = certwatch("crawl", "--source", "slowjobs", "--quiet", home=tmp_path, env=env)
    assert "marked 1 run(s) left behind by a dead process as interrupted" in done.stderr
    with Session(create_engine(f"sqlite:///{tmp_path / 'certwatch.db'}")) as session:
        statuses = session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)).all()
        assert statuses == ["interrupted", "finished"]
        want = {t.url for t in truth_listings(DEFAULT_SEED, 1) if t.site == "jobs58"}
        urls = session.scalars(select(Listing.url)).all()
        assert len(urls) == len(set(urls)) and set(urls) == want
    _assert_consistent(tmp_path)

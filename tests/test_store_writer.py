"""The crawl's writer thread: order, back-pressure, flush on close, failures, interruption.

The last two tests crawl a slowed-down copy of the sandbox job board with the real CLI and
break it half-way (Ctrl-C; the bodies directory replaced by a file), then check that the
run is marked interrupted and that everything committed is whole.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from crawlers.sources import BUNDLED_DIR
from store.models import CrawlRun, FetchedPage, Listing, ListingVersion
from store.writer import WriterStopped, WriterThread
from tests.conftest import REPO


def wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


# -- the thread on its own ---------------------------------------------------------------

def test_jobs_run_in_order_and_close_runs_what_is_queued() -> None:
    done: list[int] = []
    gate = threading.Event()
    writer = WriterThread("t-order")
    writer.submit(gate.wait)
    for i in range(50):
        writer.submit(lambda i=i: done.append(i))
    assert done == []  # all queued behind the gate
    gate.set()
    writer.close()
    assert done == list(range(50))
    with pytest.raises(WriterStopped):
        writer.submit(lambda: None)


def test_drain_waits_for_the_running_job() -> None:
    writer = WriterThread("t-drain")
    done: list[str] = []
    started = threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.05)
        done.append("slow")

    writer.submit(slow)
    started.wait(5)
    writer.drain()
    assert done == ["slow"]
    writer.close()


def test_full_queue_blocks_the_producer_until_the_writer_catches_up() -> None:
    gate = threading.Event()
    writer = WriterThread("t-bound", max_jobs=2)
    submitted: list[int] = []

    def produce() -> None:
        writer.submit(gate.wait)  # taken by the thread at once, then blocks it
        for i in range(4):
            writer.submit(lambda: None)
            submitted.append(i)

    producer = threading.Thread(target=produce)
    producer.start()
    wait_until(lambda: len(submitted) == 2, what="two queued jobs")
    producer.join(0.2)
    assert producer.is_alive() and len(submitted) == 2  # third submit waits for room
    gate.set()
    producer.join(5)
    assert len(submitted) == 4
    writer.close()


def test_byte_budget_blocks_and_an_oversized_job_still_passes() -> None:
    gate = threading.Event()
    writer = WriterThread("t-bytes", max_bytes=100)
    writer.submit(gate.wait, size=10)
    writer.submit(lambda: None, size=80)
    blocked = threading.Thread(target=writer.submit, args=(lambda: None,), kwargs={"size": 50})
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive()  # 10 + 80 + 50 > 100
    gate.set()
    blocked.join(5)
    writer.submit(lambda: None, size=1000)  # alone in the queue: admitted, no deadlock
    writer.close()


def test_first_failure_stops_the_writer_and_reaches_the_producer() -> None:
    done: list[int] = []
    gate = threading.Event()
    writer = WriterThread("t-error")

    def boom() -> None:
        raise OSError(28, "No space left on device")

    writer.submit(gate.wait)
    writer.submit(lambda: done.append(1))
    writer.submit(boom)
    writer.submit(lambda: done.append(2))  # builds on the failed write: must not run
    gate.set()
    with pytest.raises(OSError, match="No space left"):
        writer.drain()
    with pytest.raises(OSError, match="No space left"):
        writer.submit(lambda: done.append(3))
    with pytest.raises(OSError, match="No space left"):
        writer.close()
    assert done == [1]
    assert isinstance(writer.error, OSError)


# -- a real crawl, broken half-way ----------------------------------------------------------

@pytest.fixture
def slow_source(tmp_path: Path) -> Path:
    """jobs58 at one request at a time with a delay: a crawl of ~20 s that can be cut."""
    directory = tmp_path / "sources"
    directory.mkdir()
    text = (BUNDLED_DIR / "jobs58.yaml").read_text(encoding="utf-8")
    text = text.replace("  delay: 0\n  concurrency: 8\n",
                        "  delay: 0.05\n  concurrency: 1\n  autothrottle: false\n")
    assert "delay: 0.05" in text
    (directory / "jobs58.yaml").write_text(text, encoding="utf-8")
    return directory


def start_crawl(home: Path, sources: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "CERTWATCH_HOME": str(home), "CERTWATCH_SOURCES_DIR": str(sources)}
    env.pop("CERTWATCH_DB_URL", None)
    return subprocess.Popen([sys.executable, "-m", "certwatch.cli", "crawl", "--source",
                             "jobs58", "--night", "1"], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@contextmanager
def crawl_past_first_batch(home: Path, sources: Path) -> Iterator[subprocess.Popen[str]]:
    """A running crawl that has committed its first batch; killed on the way out."""
    proc = start_crawl(home, sources)
    try:
        wait_until(lambda: committed_pages(home) > 0 or proc.poll() is not None,
                   timeout=120, what="a first committed batch")
        assert proc.poll() is None, proc.communicate()
        yield proc
    finally:
        proc.kill()


def committed_pages(home: Path) -> int:
    db = home / "certwatch.db"
    if not db.exists():
        return 0
    with Session(create_engine(f"sqlite:///{db}")) as session:
        try:
            return session.scalar(select(func.count()).select_from(FetchedPage)) or 0
        except Exception:  # schema not there yet
            return 0


def assert_whole(home: Path, bodies: Path) -> tuple[CrawlRun, int]:
    """Every committed page has its exact body; every listing its current version."""
    with Session(create_engine(f"sqlite:///{home / 'certwatch.db'}")) as session:
        run = session.scalars(select(CrawlRun)).one()
        hashes = session.scalars(select(FetchedPage.content_hash)
                                 .where(FetchedPage.content_hash.is_not(None))).all()
        for digest in hashes:
            body = (bodies / digest[:2] / digest[2:4] / digest).read_bytes()
            assert hashlib.sha256(body).hexdigest() == digest
        listings = session.scalars(select(Listing)).all()
        for listing in listings:
            latest = session.scalars(select(ListingVersion)
                                     .where(ListingVersion.listing_id == listing.id)
                                     .order_by(ListingVersion.version.desc())).first()
            assert latest is not None and latest.content_hash == listing.content_hash
            assert (bodies / listing.page_hash[:2] / listing.page_hash[2:4]
                    / listing.page_hash).is_file()
        return run, len(hashes)


def test_ctrl_c_mid_crawl_marks_the_run_interrupted_and_keeps_it_whole(
        tmp_path: Path, slow_source: Path) -> None:
    home = tmp_path / "home"
    with crawl_past_first_batch(home, slow_source) as proc:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    run, pages = assert_whole(home, home / "bodies")
    assert run.status == "interrupted" and run.close_reason == "shutdown", (out, err[-2000:])
    assert not run.complete
    assert 0 < pages < 300  # cut half-way, and what was fetched before the cut is there
    assert run.stats["certwatch"]["pages"] == committed_pages(home)
    assert "interrupted" in out


def test_store_failure_mid_crawl_stops_it_and_marks_the_run_interrupted(
        tmp_path: Path, slow_source: Path) -> None:
    home = tmp_path / "home"
    with crawl_past_first_batch(home, slow_source) as proc:
        # The disk "fails": the bodies directory is replaced by a file, so the next new body
        # cannot be written.
        moved = home / "bodies.before"
        shutil.move(home / "bodies", moved)
        (home / "bodies").write_text("not a directory")
        out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    run, pages = assert_whole(home, moved)
    assert (run.status, run.close_reason) == ("interrupted", "store_failed"), err[-2000:]
    assert not run.complete and pages > 0
    assert run.stats["certwatch/errors/store"] == 1
    assert "NotADirectoryError" in run.stats["certwatch/store_error"] \
        or "FileExistsError" in run.stats["certwatch/store_error"]
    # Far fewer pages than the board has: the crawl stopped instead of dropping pages.
    assert run.stats.get("response_received_count", 0) < 300

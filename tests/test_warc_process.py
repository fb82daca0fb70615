"""The WARC writer's child process and its plain DB-API index: same rows as the ORM would
write, nothing lost when the crawl is killed, a clear count when the writer itself dies."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.db import open_store
from store.evidence_models import WarcRecordRow
from store.warc_capture import CaptureWriter
from store.warc_index_db import COLUMNS, IndexDatabase, url_digest
from store.warc_process import CaptureProcess
from tests.conftest import REPO
from tests.test_warc_capture import _capture


def _count(url: str) -> int:
    engine = open_store(url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(WarcRecordRow))
    finally:
        engine.dispose()


def test_the_insert_names_every_column_of_the_model() -> None:
    model = [c.name for c in WarcRecordRow.__table__.columns if c.name != "id"]
    assert sorted(COLUMNS) == sorted(model)


def test_rows_read_back_through_the_orm_as_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = open_store(url)
    captures = [_capture(i) for i in range(3)]
    writer = CaptureWriter(tmp_path, url, source="s", info={"a": "b"})
    for capture in captures:
        writer.submit(capture)
    writer.close()
    with Session(engine) as session:
        rows = session.scalars(select(WarcRecordRow).order_by(WarcRecordRow.id)).all()
    assert [r.record_type for r in rows] == ["response", "request"] * 3
    for row, capture in zip(rows[::2], captures, strict=True):
        exchange = capture.exchanges[0]
        # SQLite keeps the UTC fields without a zone, as SQLAlchemy itself writes them.
        assert row.captured_at.replace(tzinfo=UTC) == exchange.received_at
        assert row.url_sha256 == url_digest(exchange.url) == row.page_url_sha256
        assert (row.http_status, row.ip_address, row.content_type) == (200, "127.0.0.1",
                                                                      "text/html")
        with open(tmp_path / row.path, "rb") as warc:
            warc.seek(row.offset)
            assert exchange.response.body in gzip.decompress(warc.read(row.length))
    # A second writer finds the first copies and writes revisits pointing at them.
    again = CaptureWriter(tmp_path, url, source="s", info={"a": "b"})
    again.submit(_capture(0))
    again.close()
    assert again.revisits == 1


def test_database_urls() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        IndexDatabase("sqlite://")
    with pytest.raises(ValueError, match="unsupported database"):
        IndexDatabase("mysql://root@127.0.0.1/test")


def test_a_killed_crawl_loses_no_capture_it_handed_over(tmp_path: Path) -> None:
    """SIGKILL the crawling process right after it queued 40 pages: the writer process
    still writes and indexes all of them, then exits."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    open_store(url).dispose()
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from store.warc_process import CaptureProcess\n"
        "from tests.test_warc_capture import _capture\n"
        "home, url = Path(sys.argv[1]), sys.argv[2]\n"
        "writer = CaptureProcess()\n"
        "writer.configure(home, url, source='s', info={'a': 'b'})\n"
        "for i in range(40):\n"
        "    writer.submit(_capture(i))\n"
        "print(writer.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    crawl = subprocess.run([sys.executable, "-c", script, str(tmp_path), url], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    assert crawl.returncode == -signal.SIGKILL, crawl.stderr
    child = int(crawl.stdout.split()[0])
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)
    assert _count(url) == 80  # a request and a response record for every page


def test_a_dead_writer_costs_captures_not_the_crawl(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    open_store(url).dispose()
    writer = CaptureProcess()
    writer.configure(tmp_path, url, source="s", info={"a": "b"})
    writer._child.proc.kill()
    writer._child.proc.wait()
    for i in range(300):  # more than the pipe holds: a send finds the child gone
        writer.submit(_capture(i))
    writer.close()  # returns, does not hang
    assert writer.lost > 0 and writer.errors >= 1 and writer.records == 0


def test_the_writer_ignores_a_ctrl_c_sent_to_the_process_group(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    open_store(url).dispose()
    writer = CaptureProcess()
    writer.configure(tmp_path, url, source="s", info={"a": "b"})
    for i in range(5):
        writer.submit(_capture(i))
    wanted = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    deadline = time.monotonic() + 30
    while _ignored(writer.pid) & wanted != wanted and time.monotonic() < deadline:
        time.sleep(0.05)  # until the child has set its signal handling up
    os.kill(writer.pid, signal.SIGINT)
    os.kill(writer.pid, signal.SIGTERM)
    for i in range(5, 10):
        writer.submit(_capture(i))
    writer.close()
    assert (writer.records, writer.errors, writer.lost) == (20, 0, 0)
    assert _count(url) == 20 and len(writer.files) == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # An orphan reaped by init disappears; a zombie of ours would not, so check its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _ignored(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return int(line.split()[1], 16)
    return 0


def test_one_child_serves_interleaved_crawls_each_with_its_own_totals(tmp_path: Path) -> None:
    homes = [tmp_path / "a", tmp_path / "b"]
    urls = [f"sqlite:///{home / 'c.db'}" for home in homes]
    for url in urls:
        open_store(url).dispose()
    first, second = CaptureProcess(), CaptureProcess()
    assert first.pid == second.pid
    first.configure(homes[0], urls[0], source="a", info={"a": "b"})
    second.configure(homes[1], urls[1], source="b", info={"a": "b"})
    for i in range(30):
        first.submit(_capture(i))
        if i % 3 == 0:
            second.submit(_capture(100 + i))
    first.close()
    second.submit(_capture(999))  # still open while the other crawl has closed
    second.close()
    assert (first.records, second.records) == (60, 22)
    assert [_count(url) for url in urls] == [60, 22]
    assert all(f.is_relative_to(homes[0]) for f in first.files) and first.files
    assert all(f.is_relative_to(homes[1]) for f in second.files) and second.files
    assert CaptureProcess().pid == first.pid  # the next crawl reuses the child

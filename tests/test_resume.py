"""A real `certwatch crawl` killed with SIGKILL mid-way resumes on the next start: every
listing of the sandbox's truth stored exactly once, nothing fetched twice that was stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from certwatch.sandbox_proc import embedded_sandbox
from sandbox.truth import DEFAULT_SEED
from sandbox.truth import listings as truth_listings
from store.models import CrawlRun, Listing, ListingEvent, ListingVersion
from tests.conftest import REPO, certwatch


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with Session(create_engine(f"sqlite:///{db}")) as session:
            return session.scalar(select(func.count()).select_from(Listing)) or 0
    except OperationalError:  # schema not there yet
        return 0


def test_sigkill_mid_crawl_then_resume(tmp_path: Path) -> None:
    truth = {t.url for t in truth_listings(DEFAULT_SEED, 1) if t.site == "jobs58"}
    slow = tmp_path / "slow"
    slow.mkdir()
    doc = yaml.safe_load((REPO / "crawlers/sources/jobs58.yaml").read_text("utf-8"))
    # One request at a time with a small delay, so the kill lands with work half done.
    doc["politeness"] = {"delay": 0.05, "concurrency": 1, "autothrottle": False}
    (slow / "jobs58.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    home = tmp_path / "home"
    db = home / "certwatch.db"
    with embedded_sandbox(night=1) as address:
        env = {**os.environ, "CERTWATCH_HOME": str(home), "CERTWATCH_SANDBOX": address,
               "CERTWATCH_SOURCES_DIR": str(slow)}
        env.pop("CERTWATCH_DB_URL", None)
        proc = subprocess.Popen([sys.executable, "-m", "certwatch.cli", "crawl", "--source",
                                 "jobs58", "--night", "1", "--quiet"], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while _stored(db) < len(truth) // 3 and time.monotonic() < deadline:
            assert proc.poll() is None, "the crawl ended before it could be killed"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        before = _stored(db)
        assert 0 < before < len(truth), before

        again = certwatch("crawl", "--source", "jobs58", "--night", "1", home=home,
                          env={"CERTWATCH_SANDBOX": address})
    assert "marked 1 run(s) left behind by a dead process as interrupted" in again.stderr

    with Session(create_engine(f"sqlite:///{db}")) as session:
        killed, resumed = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert (killed.status, killed.close_reason) == ("interrupted", "process died")
        assert (resumed.status, resumed.complete) == ("finished", True)
        # The resumed run skipped exactly the details the killed one had stored.
        assert resumed.stats["certwatch/resume/skipped"] == before
        assert resumed.stats["certwatch"]["listings"] == len(truth) - before
        urls = session.scalars(select(Listing.url)).all()
        versions = Counter(session.scalars(select(ListingVersion.listing_id)).all())
        events = session.execute(select(ListingEvent.kind, ListingEvent.listing_id)).all()
    assert len(urls) == len(set(urls)) == len(truth) and set(urls) == truth
    assert set(versions.values()) == {1} and len(versions) == len(truth)
    kinds = Counter(kind for kind, _ in events)
    assert kinds == {"new": len(truth)}  # one "new" per listing, nothing removed or changed
    assert len({lid for _, lid in events}) == len(truth)

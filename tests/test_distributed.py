"""Several `certwatch crawl` workers share one crawl through the real Redis and write to one
real PostgreSQL: the union equals a single-worker crawl, nothing twice, both did work."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, create_engine, delete, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from certwatch.distributed import KEY_TTL
from certwatch.sandbox_proc import embedded_sandbox
from sandbox.truth import DEFAULT_SEED
from sandbox.truth import listings as truth_listings
from store.bodies import BodyStore
from store.db import open_store
from store.models import CrawlRun, FetchedPage, Listing, ListingEvent, ListingVersion, Source
from store.recorder import ListingData, RunRecorder
from tests.conftest import PG_ADMIN_URL, REPO, certwatch

REDIS_URL = os.environ.get("CERTWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0")
SOURCES = ("jobs58", "tieba")


def _unreachable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_server():  # noqa: ANN201 - redis.Redis
    import redis

    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        server.ping()
    except redis.RedisError as exc:
        _unreachable(f"Redis not reachable at {REDIS_URL}: {exc}")
    return server


@contextlib.contextmanager
def _fresh_databases(count: int) -> Iterator[list[str]]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        _unreachable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.orig}")
    names = [f"certwatch_dist_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield [f"{base}/{name}" for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def databases() -> Iterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases: the single-worker baseline and the shared crawl."""
    with _fresh_databases(2) as (single, shared):
        yield single, shared


@pytest.fixture
def fresh_db() -> Iterator[str]:
    with _fresh_databases(1) as (url,):
        yield url


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    with embedded_sandbox(night=1) as address:
        yield address


def _spawn(home: Path, address: str, db_url: str, prefix: str, night: int,
           **env: str) -> subprocess.Popen:
    """One `certwatch crawl` worker of the shared crawl, started (not awaited)."""
    full = {**os.environ, "CERTWATCH_HOME": str(home), "CERTWATCH_SANDBOX": address,
            "CERTWATCH_DB_URL": db_url, "CERTWATCH_REDIS_URL": REDIS_URL,
            "CERTWATCH_REDIS_PREFIX": prefix, "CERTWATCH_REDIS_IDLE": "2", **env}
    args = [a for s in SOURCES for a in ("--source", s)]
    return subprocess.Popen(
        [sys.executable, "-m", "certwatch.cli", "crawl", *args, "--night", str(night),
         "--quiet"], cwd=REPO, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def _workers(tmp: Path, address: str, db_url: str, prefix: str, night: int,
             count: int = 2) -> list[subprocess.CompletedProcess]:
    procs = [_spawn(tmp / f"worker{i}", address, db_url, prefix, night) for i in range(count)]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _state(db_url: str) -> dict[tuple[str, str], tuple[str, bool]]:
    with Session(create_engine(db_url)) as session:
        rows = session.execute(select(Source.name, Listing.url, Listing.content_hash,
                                      Listing.removed).join(Source)).all()
    state = {(s, u): (h, r) for s, u, h, r in rows}
    assert len(state) == len(rows)
    return state


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory, redis_server, databases: tuple,
           sandbox: str) -> dict:
    single_db, shared_db = databases
    tmp = tmp_path_factory.mktemp("distributed")
    prefix = f"certwatch-test-{uuid.uuid4().hex[:8]}"
    result: dict = {"prefix": prefix, "single": {}, "shared": {}, "procs": {}}
    for night in (1, 2):
        args = [a for s in SOURCES for a in ("--source", s)]
        certwatch("crawl", *args, "--night", str(night), home=tmp / "single",
                  env={"CERTWATCH_SANDBOX": sandbox, "CERTWATCH_DB_URL": single_db})
        result["single"][night] = _state(single_db)
        result["procs"][night] = _workers(tmp, sandbox, shared_db, prefix, night)
        result["shared"][night] = _state(shared_db)
    result["shared_db"] = shared_db
    return result


@pytest.mark.postgres
def test_workers_exit_cleanly_and_leave_no_keys(nights: dict, redis_server) -> None:
    for procs in nights["procs"].values():
        for proc in procs:
            assert proc.returncode == 0, proc.stderr[-3000:]
    closers = [p for p in nights["procs"][2] if "closed jobs58" in p.stderr]
    assert len(closers) == 1  # exactly one worker was last and closed the batch
    assert not list(redis_server.scan_iter(match=nights["prefix"] + ":*"))


@pytest.mark.postgres
@pytest.mark.parametrize("night", [1, 2])
def test_union_equals_single_worker_crawl(nights: dict, night: int) -> None:
    shared, single = nights["shared"][night], nights["single"][night]
    assert shared == single  # same listings, same content, same removed flags
    truth = {(t.site, t.url) for t in truth_listings(DEFAULT_SEED, night) if t.site in SOURCES}
    assert {k for k, (_, removed) in shared.items() if not removed} == truth


@pytest.mark.postgres
def test_no_duplicates_and_both_workers_did_work(nights: dict) -> None:
    with Session(create_engine(nights["shared_db"])) as session:
        runs = session.scalars(select(CrawlRun)).all()
        assert session.scalar(select(func.count()).select_from(Listing)) == \
            session.scalar(select(func.count(func.distinct(Listing.url))))
        news = Counter(session.scalars(select(ListingEvent.listing_id)
                                       .where(ListingEvent.kind == "new")).all())
        versions = session.execute(select(ListingVersion.listing_id, ListingVersion.version)
                                   ).all()
    assert set(news.values()) == {1}  # every listing was new exactly once
    assert len(versions) == len(set(versions))
    # Per night and source: a worker that only joined and idled would show 0 pages there.
    by_crawl: dict[tuple[int, int], Counter] = {}
    for run in runs:
        pages = by_crawl.setdefault((run.night, run.source_id), Counter())
        pages[run.pid] += run.stats["certwatch"]["pages"]
        assert run.status == "finished" and run.complete
    assert len(by_crawl) == 2 * len(SOURCES)
    for crawl, pages in by_crawl.items():
        assert len(pages) == 2 and all(n > 0 for n in pages.values()), (crawl, pages)


@pytest.mark.postgres
def test_night2_removals_match_the_generator(nights: dict) -> None:
    t1 = {t.url for t in truth_listings(DEFAULT_SEED, 1) if t.site in SOURCES}
    t2 = {t.url for t in truth_listings(DEFAULT_SEED, 2) if t.site in SOURCES}
    removed = {url for (_, url), (_, gone) in nights["shared"][2].items() if gone}
    assert removed == t1 - t2 and removed


def test_concurrent_recorders_adopt_each_others_rows(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    bodies = BodyStore(tmp_path / "bodies")
    first, second = (RunRecorder(engine, bodies, "jobs58", batch="b") for _ in range(2))
    first.start()
    second.start()  # both loaded the (empty) set of known listings
    now = datetime.now(UTC)
    ad = ListingData(key="42", url="http://x/42", title="二建挂证", text="社保不限", seen_at=now)
    first.add_listing(ad)
    first.flush()
    second.add_listing(ad)
    second.flush()  # would be a unique-constraint failure without ON CONFLICT
    edited = ListingData(key="42", url="http://x/42", title="二建挂证", text="社保不限，急",
                         seen_at=now)
    third = RunRecorder(engine, bodies, "jobs58", batch="b")
    third.start()
    second.add_listing(edited)
    second.flush()
    assert (first.counts.new, second.counts.new, second.counts.changed) == (1, 0, 1)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Listing)) == 1
        assert session.scalars(select(ListingVersion.version)).all() == [1, 2]


def test_unreachable_redis_is_one_line_error(tmp_path: Path) -> None:
    proc = certwatch("crawl", "--source", "jobs58", home=tmp_path, check=False,
                     env={"CERTWATCH_REDIS_URL": "redis://127.0.0.1:1/0",
                          "CERTWATCH_SANDBOX": "off"})
    assert proc.returncode == 2
    assert "cannot reach Redis at CERTWATCH_REDIS_URL=redis://127.0.0.1:1/0" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_dead_interval_is_one_line_error(tmp_path: Path, redis_server) -> None:
    proc = certwatch("crawl", "--source", "jobs58", home=tmp_path, check=False,
                     env={"CERTWATCH_REDIS_URL": REDIS_URL, "CERTWATCH_REDIS_DEAD": "0.1",
                          "CERTWATCH_SANDBOX": "off"})
    assert proc.returncode == 2
    assert "CERTWATCH_REDIS_DEAD must be seconds between 1 and 3600, got '0.1'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.postgres
def test_nightly_as_a_worker_waits_for_the_batch(nights: dict, sandbox: str, redis_server,
                                                 tmp_path: Path) -> None:
    (tmp_path / "certwatch.yaml").write_text("hunt: {enabled: false}\n", "utf-8")
    prefix = nights["prefix"] + "-nightly"
    proc = certwatch("nightly", "--source", "tieba", "--night", "2", home=tmp_path,
                     check=False, env={"CERTWATCH_DB_URL": nights["shared_db"],
                                       "CERTWATCH_SANDBOX": sandbox,
                                       "CERTWATCH_REDIS_URL": REDIS_URL,
                                       "CERTWATCH_REDIS_PREFIX": prefix,
                                       "CERTWATCH_REDIS_IDLE": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "closed tieba" in proc.stderr
    from store.nightly_models import NightlyRun

    with Session(create_engine(nights["shared_db"])) as session:
        nightly = session.scalars(select(NightlyRun)).one()
        runs = session.scalars(select(CrawlRun).where(CrawlRun.batch == nightly.batch)).all()
    assert runs and all(r.complete for r in runs)  # closed before the diff was taken
    assert not list(redis_server.scan_iter(match=prefix + ":*"))


SOURCE_RACE = "version-race"


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_recorders_both_seeing_a_change_keep_both_versions(
        tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    url = (f"sqlite:///{tmp_path / 'c.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_url"))
    engine = open_store(url)
    bodies = BodyStore(tmp_path / "bodies")
    now = datetime.now(UTC)
    key = uuid.uuid4().hex  # the PostgreSQL database is shared by the session's tests

    def ad(text: str) -> ListingData:
        return ListingData(key=key, url=f"http://x/{key}", title="一建挂证", text=text,
                           seen_at=now)

    seed = RunRecorder(engine, bodies, SOURCE_RACE, batch="b")
    seed.start()
    seed.add_listing(ad("社保不限"))
    seed.flush()
    first, second = (RunRecorder(engine, bodies, SOURCE_RACE, batch="b") for _ in range(2))
    first.start()
    second.start()  # both know the listing at version 1
    first.add_listing(ad("社保不限，急"))
    first.flush()
    second.add_listing(ad("社保不限，价高"))
    second.flush()  # version 2 is taken: was a uq_version failure
    with Session(engine) as session:
        rows = session.execute(
            select(ListingVersion.version, ListingVersion.text).join(Listing)
            .where(Listing.key == key).order_by(ListingVersion.version)).all()
    for recorder in (seed, first, second):  # the PostgreSQL database is shared: leave it clean
        recorder.finish(status="finished", close_reason="finished", complete=False, stats={})
    with engine.begin() as conn:
        source_id = conn.scalar(select(Source.id).where(Source.name == SOURCE_RACE))
        listing_ids = select(Listing.id).where(Listing.source_id == source_id)
        for model in (ListingEvent, ListingVersion):
            conn.execute(delete(model).where(model.listing_id.in_(listing_ids)))
        for model in (Listing, CrawlRun):
            conn.execute(delete(model).where(model.source_id == source_id))
        conn.execute(delete(Source).where(Source.id == source_id))
    assert rows == [(1, "社保不限"), (2, "社保不限，急"), (3, "社保不限，价高")]


def _paced_sources(folder: Path) -> Path:
    """jobs58 and tieba one request at a time with a small delay: a kill lands mid-crawl."""
    folder.mkdir()
    for name in SOURCES:
        doc = yaml.safe_load((REPO / "crawlers" / "sources" / f"{name}.yaml").read_text("utf-8"))
        doc["politeness"] = {"delay": 0.02, "concurrency": 1, "autothrottle": False}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return folder


def _stored_pages(engine: Engine, pid: int) -> int:
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(FetchedPage).join(CrawlRun)
                                  .where(CrawlRun.pid == pid)) or 0
    except DBAPIError:  # the tables are not there yet
        return 0


def _kill_when_stored(proc: subprocess.Popen, db_url: str, pages: int,
                      *others: subprocess.Popen,
                      ready: Callable[[], bool] = lambda: True) -> None:
    """SIGKILL `proc` once it has committed `pages` pages (so it is mid-crawl) and `ready()`."""
    engine = create_engine(db_url)
    deadline = time.monotonic() + 120
    while _stored_pages(engine, proc.pid) < pages or not ready():
        assert time.monotonic() < deadline, "the worker stored nothing"
        for p in (proc, *others):
            assert p.poll() is None, f"a worker ended before the kill: {p.communicate()[1][-2000:]}"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    engine.dispose()
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.communicate()


@pytest.mark.postgres
def test_sigkilled_worker_loses_no_page(nights: dict, sandbox: str, fresh_db: str,
                                        redis_server, tmp_path: Path) -> None:
    prefix = nights["prefix"] + "-kill"
    env = {"CERTWATCH_SOURCES_DIR": str(_paced_sources(tmp_path / "sources")),
           "CERTWATCH_REDIS_DEAD": "4"}
    doomed = _spawn(tmp_path / "doomed", sandbox, fresh_db, prefix, 1, **env)
    survivor = _spawn(tmp_path / "survivor", sandbox, fresh_db, prefix, 1, **env)
    # Killed with pages stored, others taken and not yet stored, list pages among them.
    _kill_when_stored(doomed, fresh_db, 40, survivor)
    _out, err = survivor.communicate(timeout=300)
    # The survivor re-queued what the dead worker held and crawled on; it reports the batch
    # unfinished (the dead worker's runs), so removals wait for a complete night.
    assert survivor.returncode == 1, err[-3000:]
    requeued = re.search(r"stopped; (\d+) request\(s\) they held but had not stored", err)
    assert requeued and int(requeued.group(1)) > 0, err[-3000:]
    assert "closed jobs58 (incomplete: nothing marked removed)" in err
    assert _state(fresh_db) == nights["single"][1]  # the union is the single-worker crawl
    with Session(create_engine(fresh_db)) as session:
        runs = session.scalars(select(CrawlRun)).all()
        urls = session.scalars(select(Listing.url)).all()
        news = Counter(session.scalars(select(ListingEvent.listing_id)
                                       .where(ListingEvent.kind == "new")).all())
        versions = session.execute(select(ListingVersion.listing_id, ListingVersion.version)
                                   ).all()
    assert len(urls) == len(set(urls)) and set(news.values()) == {1} and len(news) == len(urls)
    assert len(versions) == len(set(versions)) == len(urls)
    assert {(r.pid, r.status, r.close_reason) for r in runs} == {
        (doomed.pid, "interrupted", "worker died"), (survivor.pid, "finished", "finished")}
    assert not list(redis_server.scan_iter(match=prefix + ":*"))


@pytest.mark.postgres
def test_keys_of_a_batch_whose_workers_all_died_expire_and_are_cleaned(
        nights: dict, sandbox: str, fresh_db: str, redis_server, tmp_path: Path) -> None:
    prefix = nights["prefix"] + "-abandoned"
    env = {"CERTWATCH_SOURCES_DIR": str(_paced_sources(tmp_path / "sources")),
           "CERTWATCH_REDIS_DEAD": "2"}
    lone = _spawn(tmp_path / "lone", sandbox, fresh_db, prefix, 1, **env)

    def jobs58_queued() -> bool:  # both sources run at once; jobs58 may still be on page 1
        return any(redis_server.zcard(key)
                   for key in redis_server.scan_iter(match=prefix + ":*:jobs58:requests"))

    _kill_when_stored(lone, fresh_db, 20, ready=jobs58_queued)
    keys = {k.decode(): redis_server.ttl(k) for k in redis_server.scan_iter(match=prefix + ":*")}
    (batch,) = {k.split(":")[1] for k in keys if k.count(":") > 1}
    for name in ("requests", "dupefilter", "seen", f"inflight:{socket.gethostname()}:{lone.pid}"):
        assert f"{prefix}:{batch}:jobs58:{name}" in keys, sorted(keys)
    # Every key the dead batch left expires, not only its head and worker list.
    assert all(0 < ttl <= KEY_TTL for ttl in keys.values()), keys
    time.sleep(2.5)  # its only worker's heartbeat is stale now
    proc = certwatch("crawl", "--source", "tieba", "--night", "1", home=tmp_path / "next",
                     env={"CERTWATCH_SANDBOX": sandbox, "CERTWATCH_DB_URL": fresh_db,
                          "CERTWATCH_REDIS_URL": REDIS_URL, "CERTWATCH_REDIS_PREFIX": prefix,
                          "CERTWATCH_REDIS_IDLE": "1", "CERTWATCH_REDIS_DEAD": "2"})
    assert f"every worker of batch {batch} had died; its Redis keys were deleted" in proc.stderr
    assert not list(redis_server.scan_iter(match=prefix + ":*"))  # its own batch closed too

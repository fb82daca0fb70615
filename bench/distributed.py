"""Distributed crawl throughput: one worker vs two workers sharing a crawl, same sandbox, same run.

    .venv/bin/python bench/distributed.py [--rounds 3] [--sources jobs58,zhipin,tieba]

Every round crawls the sandbox's plain-HTTP boards (list pages + every detail) into a fresh
PostgreSQL database through Redis (`CERTWATCH_REDIS_URL`), once with one `certwatch crawl`
worker and once with two started together; rounds alternate so drift hits both equally.
Both use the exact same machinery (scrapy-redis queue, shared dupefilter, upserts), so the
ratio isolates the worker count. Two figures per run:

- crawl pages/s: pages over the span from the first run's start to the last page fetched
  (what the workers achieve while there is work);
- wall pages/s: pages over the whole command, process start-up and the idle wait that ends a
  shared crawl (`CERTWATCH_REDIS_IDLE`, 1 s here) included.

Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (CERTWATCH_TEST_REDIS,
CERTWATCH_TEST_PG override); without them it says so and exits 0, so `make bench` still runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from certwatch.sandbox_proc import embedded_sandbox  # noqa: E402
from store.models import CrawlRun, FetchedPage  # noqa: E402

PG_ADMIN = os.environ.get("CERTWATCH_TEST_PG",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("CERTWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0")


def services_ready() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS}: {exc}"
    try:
        with create_engine(PG_ADMIN, connect_args={"connect_timeout": 3}).connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL to bench on
        return f"PostgreSQL not reachable at {PG_ADMIN}: {exc}"
    return None


def fresh_database() -> tuple[str, str]:
    name = f"certwatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def one_run(address: str, sources: list[str], workers: int, tmp: Path) -> dict[str, float]:
    name, db_url = fresh_database()
    try:
        # Migrate once up front, as an operator would, so workers race on the crawl only.
        subprocess.run([sys.executable, "-m", "certwatch.cli", "db", "upgrade"], check=True,
                       env={**os.environ, "CERTWATCH_DB_URL": db_url}, capture_output=True)
        prefix = f"certwatch-bench-{uuid.uuid4().hex[:8]}"
        args = [a for s in sources for a in ("--source", s)]
        start = time.perf_counter()
        procs = [subprocess.Popen(
            [sys.executable, "-m", "certwatch.cli", "crawl", *args, "--night", "1", "--quiet"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "CERTWATCH_HOME": str(tmp / f"{prefix}-{i}"),
                 "CERTWATCH_DB_URL": db_url, "CERTWATCH_SANDBOX": address,
                 "CERTWATCH_REDIS_URL": REDIS, "CERTWATCH_REDIS_PREFIX": prefix,
                 "CERTWATCH_REDIS_IDLE": "1", "CERTWATCH_LOG_LEVEL": "WARNING"})
            for i in range(workers)]
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"worker failed ({proc.returncode}): {err[-2000:]}")
        wall = time.perf_counter() - start
        engine = create_engine(db_url)
        with Session(engine) as session:
            runs = session.scalars(select(CrawlRun)).all()
            last_page = session.scalar(select(func.max(FetchedPage.fetched_at)))
        engine.dispose()
        pages = sum(r.stats["certwatch"]["pages"] for r in runs)
        first = min(r.started_at for r in runs)
        busy = {r.pid for r in runs if r.stats["certwatch"]["pages"]}
        span = (last_page - first).total_seconds()
        return {"pages": pages, "crawl": pages / span, "wall": pages / wall,
                "busy_workers": len(busy)}
    finally:
        drop_database(name)


def polite_sources(sources: list[str], delay: float) -> str:
    """Copies of the bundled source files with production-like politeness."""
    import yaml

    folder = Path(tempfile.mkdtemp(prefix="certwatch-bench-sources-"))
    for name in sources:
        doc = yaml.safe_load((REPO / "crawlers" / "sources" / f"{name}.yaml").read_text("utf-8"))
        doc["politeness"] = {**doc.get("politeness", {}), "delay": delay, "concurrency": 1,
                             "autothrottle": False}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return str(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sources", default="jobs58,zhipin,tieba")
    parser.add_argument("--polite", type=float, default=None, metavar="DELAY",
                        help="crawl as a polite production crawl would: DELAY seconds between "
                             "requests, one at a time per site and worker")
    args = parser.parse_args()
    reason = services_ready()
    if reason:
        print(f"bench/distributed.py skipped: {reason}")
        return 0
    sources = args.sources.split(",")
    if args.polite is not None:
        os.environ["CERTWATCH_SOURCES_DIR"] = polite_sources(sources, args.polite)
    results: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    with embedded_sandbox(night=1) as address, tempfile.TemporaryDirectory() as tmp:
        for rnd in range(1, args.rounds + 1):
            for workers in ((1, 2) if rnd % 2 else (2, 1)):
                r = one_run(address, sources, workers, Path(tmp))
                results[workers].append(r)
                print(f"round {rnd}: {workers} worker(s): {r['pages']:.0f} pages, "
                      f"crawl {r['crawl']:.1f} pages/s, wall {r['wall']:.1f} pages/s, "
                      f"{r['busy_workers']:.0f} worker(s) fetched pages", flush=True)
    med = {w: {k: statistics.median(r[k] for r in rs) for k in ("crawl", "wall")}
           for w, rs in results.items()}
    how = (f"polite: {args.polite} s delay, 1 request at a time per site and worker"
           if args.polite is not None else "politeness as in the source files")
    print(f"\nmedians over {args.rounds} round(s), sources {', '.join(sources)} ({how}), "
          f"{os.cpu_count()} CPU(s):")
    for w in (1, 2):
        print(f"  {w} worker(s): crawl {med[w]['crawl']:.1f} pages/s, "
              f"wall {med[w]['wall']:.1f} pages/s")
    print(f"  ratio 2/1: crawl {med[2]['crawl'] / med[1]['crawl']:.2f}, "
          f"wall {med[2]['wall'] / med[1]['wall']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

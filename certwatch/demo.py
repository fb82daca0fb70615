"""`certwatch demo`: crawl the sandbox web for two nights and show what certwatch recorded."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from certwatch.config import Config
from certwatch.listings import terminal_safe
from store.db import open_store
from store.models import CrawlRun, Listing, ListingEvent, ListingVersion

DEMO_USER = "demo"
DEMO_UI_PORT = 8000


def _ui_port() -> int:
    """CERTWATCH_UI_PORT moves the demo's UI off 8000 (taken here, or a test's free port)."""
    value = os.environ.get("CERTWATCH_UI_PORT", "")
    return int(value) if value.isdigit() else DEMO_UI_PORT


def _banner(text: str) -> None:
    print(f"\n== {text} ==", flush=True)


def _crawl_night(config: Config, night: int) -> int:
    """One crawl per child process: Twisted's reactor cannot be started twice in one."""
    env = {**os.environ, "CERTWATCH_HOME": str(config.home), "CERTWATCH_DB_URL": config.db_url,
           "CERTWATCH_SANDBOX": "auto"}
    return subprocess.run([sys.executable, "-m", "certwatch.cli", "crawl", "--night",
                           str(night)], env=env).returncode


def run_demo(config: Config, serve: bool = True) -> int:
    config.ensure_dirs()
    print(f"certwatch demo — data in {config.home}", flush=True)
    # Every step runs even after one fails (night 2 still shows what a night looks like),
    # and each failure is said at the end rather than silently skipping what follows.
    failed: list[tuple[str, int]] = []
    for night in (1, 2):
        _banner(f"night {night}: crawling every bundled source of the sandbox web")
        if code := _crawl_night(config, night):
            failed.append((f"night {night} crawl", code))
    _banner("what changed between the nights")
    engine = open_store(config.db_url)
    with Session(engine) as session:
        last_batch = session.scalars(select(CrawlRun.batch).order_by(CrawlRun.id.desc())).first()
        run_ids = select(CrawlRun.id).where(CrawlRun.batch == last_batch)
        events = dict(session.execute(
            select(ListingEvent.kind, func.count()).where(ListingEvent.run_id.in_(run_ids))
            .group_by(ListingEvent.kind)).all())
        print("  " + ", ".join(f"{k} {events.get(k, 0)}"
                               for k in ("new", "changed", "removed", "reappeared")))
        changed = session.execute(
            select(Listing).join(ListingEvent, ListingEvent.listing_id == Listing.id)
            .where(ListingEvent.run_id.in_(run_ids), ListingEvent.kind == "changed").limit(1)
        ).scalar()
        if changed is not None:
            old, new = session.scalars(
                select(ListingVersion).where(ListingVersion.listing_id == changed.id)
                .order_by(ListingVersion.version.desc()).limit(2)).all()[::-1]
            print(f"  e.g. #{changed.id} {terminal_safe(changed.title)[:40]}")
            for name in sorted(set(old.fields) | set(new.fields) | {"title", "text"}):
                before = getattr(old, name, None) if name in ("title", "text") \
                    else old.fields.get(name)
                after = getattr(new, name, None) if name in ("title", "text") \
                    else new.fields.get(name)
                if before != after:
                    print(f"    {name}: {str(before)[:60]!r} → {str(after)[:60]!r}")
        total = session.scalar(select(func.count()).select_from(Listing))
        live = session.scalar(select(func.count()).select_from(Listing)
                              .where(Listing.removed.is_(False)))
    print(f"  store: {total} listings ({live} online), every version kept")
    if code := _hunt(config):
        failed.append(("lookalike hunt", code))
    # The top hits close the results (issue §5: the demo "ends with the top hits").
    _top_hits(engine)
    print("\nnext: `certwatch listings --format jsonl | head`, "
          "`certwatch listings --removed`, `certwatch check-domain --fetch zlaq-mohurd.cn`, "
          "README.md for the rest")
    for step, code in failed:
        print(f"demo: the {step} exited with status {code}; see its output above",
              file=sys.stderr, flush=True)
    if serve:
        _serve_sandbox(config)
    return failed[0][1] if failed else 0


def _top_hits(engine: Engine, limit: int = 10) -> None:
    _banner(f"top {limit} hits by risk score")
    with Session(engine) as session:
        hits = session.scalars(
            select(Listing).where(Listing.removed.is_(False), Listing.label.is_not(None),
                                  Listing.label != "benign")
            .order_by(Listing.score.desc(), Listing.id).limit(limit)).all()
    if not hits:
        print("  (no scored listings: run `certwatch train`, then crawl again)")
    for hit in hits:
        # Captured text is hostile and may span lines: one line per hit, controls inert.
        why = terminal_safe("、".join(r["text"] for r in (hit.reasons or [])[:3]))
        print(f"  #{hit.id:<5} {hit.label:<10} {hit.score:.2f}  {terminal_safe(hit.title)[:36]}")
        if why:
            print(f"         理由: {why}")


def _hunt(config: Config) -> int:
    """Lookalike query sites: a hunt over the sample domain feed and the crawled listings."""
    from dataclasses import replace

    from certwatch.hunt_cli import SAMPLE_FEED, run_hunt

    _banner("lookalike query sites: hunting with a sample newly-registered-domains feed")
    return run_hunt(replace(config, sandbox="auto"), [SAMPLE_FEED], resolver="sandbox")


def _serve_sandbox(config: Config) -> None:
    """Keep the sandbox web up and serve the review UI with a demo analyst account."""
    import secrets

    from certwatch.review_cli import serve_ui
    from review.users import ensure_user
    from sandbox.server import SandboxServer

    server = SandboxServer(night=2, port=8800).start()
    print(f"\nthe sandbox web stays up at http://{server.address}/ for browsing "
          f"(crawl it with CERTWATCH_SANDBOX={server.address})", flush=True)
    password = secrets.token_urlsafe(12)
    ensure_user(open_store(config.db_url), DEMO_USER, "analyst", password, actor="demo")
    _banner("review UI (审核平台)")
    try:
        serve_ui(config, "127.0.0.1", _ui_port(), demo=True,
                 banner=f"\n  log in as {DEMO_USER} / {password} (analyst; demo only)")
    except KeyboardInterrupt:
        pass
    finally:
        print("stopped", file=sys.stderr)
        server.stop()

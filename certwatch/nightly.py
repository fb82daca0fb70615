"""`certwatch nightly`: crawl → (score, in the pipeline) → lookalike hunt → diff against the
previous night → digest (HTML + Markdown) → webhook / e-mail → evidence packets.

Exit statuses (README "Nightly runs"): 0 all well; 1 a crawl did not finish; 3 another nightly
is running; 4 the monitor flagged a source; 5 the digest could not be delivered; 6 the
lookalike hunt or the evidence export failed.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from certwatch import monitor
from certwatch.config import Config
from certwatch.delivery import post_webhook, send_mail
from certwatch.digest import Digest, StepOutcome, render_html, render_markdown, write_digest
from certwatch.nightly_config import NightlySettings
from certwatch.nightly_diff import night_diff, previous_window
from certwatch.nightly_lock import nightly_lock
from certwatch.nightly_steps import evidence_step, hunt_step
from certwatch.schedule_slots import missed_slots
from store.clock import as_utc, iso, utcnow
from store.db import open_store
from store.nightly_models import NightlyRun
from store.recorder import pid_alive

EXIT_OK, EXIT_CRAWL_FAILED, EXIT_BUSY, EXIT_FLAGGED, EXIT_UNDELIVERED = 0, 1, 3, 4, 5
EXIT_STEP_FAILED = 6
DEFAULT_RISK = 0.8  # "high risk" in the digest when no evidence threshold is configured

log = logging.getLogger("certwatch.nightly")


@dataclass
class NightlyResult:
    nightly_id: int
    exit_code: int
    digest_html: str
    digest_markdown: str
    flags: list[monitor.Flag]


def sweep_stale_nightlies(engine: Engine) -> int:
    host = socket.gethostname()
    with Session(engine) as session, session.begin():
        stale = [run for run in session.scalars(
            select(NightlyRun).where(NightlyRun.status == "running", NightlyRun.hostname == host))
            if run.pid is None or not pid_alive(run.pid)]
        for run in stale:
            run.status, run.error = "failed", run.error or "process died"
            run.finished_at = run.finished_at or utcnow()
    return len(stale)


def run_nightly(config: Config, settings: NightlySettings, *,
                scheduled_for: datetime | None = None, trigger: str = "manual",
                sources: tuple[str, ...] = (), night: int | None = None) -> NightlyResult:
    config.ensure_dirs()
    engine = open_store(config.db_url)
    with nightly_lock(config.home, engine):
        if sweep_stale_nightlies(engine):
            print("marked a nightly left behind by a dead process as failed", file=sys.stderr)
        missed = missed_slots(engine, settings.schedule, settings.timezone, utcnow())
        with Session(engine) as session, session.begin():
            run = NightlyRun(started_at=utcnow(), scheduled_for=scheduled_for, trigger=trigger,
                             status="running", hostname=socket.gethostname(), pid=os.getpid(),
                             flags=[], summary={})
            session.add(run)
            session.flush()
            nightly_id = run.id
        try:
            result = _run_steps(config, settings, engine, nightly_id, missed,
                                sources or settings.sources, night or settings.night)
        except BaseException as exc:
            with Session(engine) as session, session.begin():
                run = session.get(NightlyRun, nightly_id)
                run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
                run.finished_at = utcnow()
            raise
    return result


def _run_steps(config: Config, settings: NightlySettings, engine: Engine, nightly_id: int,
               missed: list[datetime], sources: tuple[str, ...],
               night: int | None) -> NightlyResult:
    from certwatch.cli import crawl_sources
    from crawlers.sources import select_sources

    started = utcnow()
    wanted = [s.name for s in select_sources(list(sources), user_dir=config.sources_dir)]
    if missed:
        log.warning("missed scheduled nightly runs: %s", ", ".join(iso(m) for m in missed))
        print(f"missed {len(missed)} scheduled run(s) since the last nightly: "
              + ", ".join(iso(m) for m in missed[:10]), file=sys.stderr)
    batch, crawl_status = crawl_sources(config, list(sources), night)
    if config.redis_url:
        # Other workers may still be finishing their last pages; the diff needs the batch
        # closed (removals are applied by whichever worker leaves last).
        from certwatch.distributed import wait_until_closed

        if not wait_until_closed(config, batch):
            print(f"distributed batch {batch} still open after 10 minutes; reporting anyway",
                  file=sys.stderr)
    figures = monitor.batch_figures(engine, batch, wanted)
    monitor.store_figures(engine, nightly_id, figures)
    flags = monitor.check(engine, nightly_id, figures, settings.monitor)
    hunt = hunt_step(config, settings.feeds, started, fetch=settings.hunt_fetch,
                     limit=settings.hunt_limit, enabled=settings.hunt_enabled)
    steps = [hunt.outcome]
    diff = night_diff(engine, previous_window(engine, nightly_id))
    local_date = started.astimezone(_zone(settings.timezone)).strftime("%Y%m%d")
    steps.append(evidence_step(config, diff.new, settings.evidence_threshold,
                               case=f"nightly-{local_date}-{nightly_id}",
                               sites=hunt.lookalikes, limit=settings.evidence_limit))
    digest = Digest(nightly_id=nightly_id, started_at=started, timezone=settings.timezone,
                    figures=figures, flags=flags, diff=diff, steps=steps, missed=missed,
                    review_url=settings.review_url,
                    risk_threshold=settings.evidence_threshold or DEFAULT_RISK,
                    limit=settings.digest_limit)
    html_path, md_path = write_digest(digest, config.reports_dir)
    deliveries = _deliver(settings, digest, str(html_path), str(md_path), crawl_status)
    code = EXIT_OK
    # Lowest non-zero status wins: checked from the least to the most serious.
    if any(s.status == "failed" for s in steps):
        code = EXIT_STEP_FAILED
    if any(d.status == "failed" for d in deliveries):
        code = EXIT_UNDELIVERED
    if flags:
        code = EXIT_FLAGGED
    if crawl_status != 0 or any(f.kind == "failed" for f in flags):
        code = EXIT_CRAWL_FAILED
    with Session(engine) as session, session.begin():
        run = session.get(NightlyRun, nightly_id)
        run.batch, run.flags, run.exit_code = batch, [f.as_dict() for f in flags], code
        # "finished": the digest went out (a failed crawl is in exit_code and flags);
        # "failed" is kept for nightlies that crashed or were killed before reporting.
        run.status = "finished"
        run.finished_at = utcnow()
        run.summary = {"diff": diff.counts(), "marks": diff.marks,
                       "missed": [iso(m) for m in missed],
                       "steps": [s.as_dict() for s in steps + deliveries],
                       "digest": {"html": str(html_path), "markdown": str(md_path)}}
    for flag in flags:
        print(f"FLAG {flag.kind} {flag.source}: {flag.message}", file=sys.stderr)
    for step in steps + deliveries:
        print(f"{step.name}: {step.message}", file=sys.stderr)
    print(f"digest: {html_path}\ndigest: {md_path}")
    return NightlyResult(nightly_id, code, str(html_path), str(md_path), flags)


def _deliver(settings: NightlySettings, digest: Digest, html_path: str, md_path: str,
             crawl_status: int) -> list[StepOutcome]:
    outcomes: list[StepOutcome] = []
    if not (settings.webhook_url or settings.smtp):
        return outcomes
    markdown, html = render_markdown(digest), render_html(digest)
    day = digest.local_start.strftime("%Y-%m-%d")
    counts = digest.diff.counts()
    risky = [d for d in digest.diff.new if d.risky(digest.risk_threshold)]
    subject = (f"[certwatch] {day} 夜间报告：新增 {counts['new']} 条，高风险 {len(risky)} 条"
               + (f"，异常 {len(digest.flags)} 项" if digest.flags else ""))
    if settings.webhook_url:
        payload = {
            "kind": "certwatch.nightly", "nightly_id": digest.nightly_id, "date": day,
            "started_at": iso(as_utc(digest.started_at)), "crawl_ok": crawl_status == 0,
            "subject": subject, "counts": counts,
            "flags": [f.as_dict() for f in digest.flags],
            "missed": [iso(m) for m in digest.missed],
            "high_risk": [{"id": d.id, "source": d.source, "title": d.title,
                           "label": d.label, "score": d.score, "link": digest.link(d.id)}
                          for d in risky[:digest.limit]],
            "digest": {"html": html_path, "markdown": md_path}, "markdown": markdown,
        }
        outcomes.append(post_webhook(settings.webhook_url, payload))
    if settings.smtp:
        outcomes.append(send_mail(settings.smtp, subject, markdown, html))
    return outcomes


def _zone(name: str):  # noqa: ANN202 - ZoneInfo
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)

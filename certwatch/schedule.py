"""`certwatch schedule`: run `certwatch nightly` on the configured cron expression, for ever.

Each nightly runs in a child process (a Scrapy reactor starts once per process). After
downtime the slot that was due is run at once, and the nightly reports every slot missed in
between in its digest and log; nothing is skipped silently.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime

from certwatch.config import Config
from certwatch.nightly_config import load_nightly_settings
from certwatch.schedule_slots import last_nightly_start, latest_slot, next_slot
from store.clock import iso, utcnow
from store.db import open_store

log = logging.getLogger("certwatch.schedule")


def _setup_logging(config: Config) -> None:
    config.ensure_dirs()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.StreamHandler(sys.stderr),
                    logging.FileHandler(config.logs_dir / "schedule.log", encoding="utf-8")):
        handler.setFormatter(fmt)
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def _run_nightly(config: Config, slot: datetime) -> int:
    env = {**os.environ, "CERTWATCH_HOME": str(config.home), "CERTWATCH_DB_URL": config.db_url}
    cmd = [sys.executable, "-m", "certwatch.cli", "nightly", "--scheduled-for", iso(slot)]
    log.info("starting nightly for the %s slot", iso(slot))
    code = subprocess.run(cmd, env=env).returncode
    log.log(logging.INFO if code == 0 else logging.WARNING,
            "nightly for %s exited with status %d", iso(slot), code)
    return code


def run_schedule(config: Config, *, max_runs: int | None = None,
                 catch_up: bool = True) -> int:
    _setup_logging(config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    engine = open_store(config.db_url)
    settings = load_nightly_settings(config)
    log.info("schedule %r (%s); config %s", settings.schedule, settings.timezone,
             settings.path or "defaults")
    runs = 0
    now = utcnow()
    due = latest_slot(settings.schedule, settings.timezone, now)
    last = last_nightly_start(engine)
    if catch_up and last is not None and due > last:
        log.warning("the %s slot was missed (last nightly started %s); running it now",
                    iso(due), iso(last))
        _run_nightly(config, due)
        runs += 1
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        settings = load_nightly_settings(config)  # the file may have changed
        slot = next_slot(settings.schedule, settings.timezone, utcnow())
        log.info("next nightly at %s", iso(slot))
        while not stop.is_set() and utcnow() < slot:
            stop.wait(min(60.0, max(0.05, (slot - utcnow()).total_seconds())))
        if stop.is_set():
            break
        _run_nightly(config, slot)
        runs += 1
    log.info("schedule stopped after %d nightly run(s)", runs)
    return 0

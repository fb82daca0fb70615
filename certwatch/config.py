"""Runtime configuration read from the environment, once, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Config:
    """Where certwatch keeps its state and which services it talks to.

    `CERTWATCH_HOME` holds the SQLite DB, raw bodies, logs and reports.
    `CERTWATCH_DB_URL` overrides the database (e.g. PostgreSQL for teams).
    `CERTWATCH_SANDBOX` is `auto` (start an embedded sandbox when a bundled
    sandbox source is crawled), `off`, or the `HOST:PORT` of a running one.
    `CERTWATCH_SOURCES_DIR` adds a directory of user source files.
    """

    home: Path
    db_url: str
    sandbox: str
    sources_dir: Path | None
    # Distributed crawling (README "Several workers"): the shared queue and its key prefix.
    redis_url: str | None = None
    redis_prefix: str = "certwatch"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        home = Path(env.get("CERTWATCH_HOME") or "var").resolve()
        db_url = env.get("CERTWATCH_DB_URL") or f"sqlite:///{home / 'certwatch.db'}"
        sources_dir = env.get("CERTWATCH_SOURCES_DIR")
        return cls(
            home=home,
            db_url=db_url,
            sandbox=env.get("CERTWATCH_SANDBOX") or "auto",
            sources_dir=Path(sources_dir) if sources_dir else None,
            redis_url=env.get("CERTWATCH_REDIS_URL") or None,
            redis_prefix=env.get("CERTWATCH_REDIS_PREFIX") or "certwatch",
        )

    @property
    def bodies_dir(self) -> Path:
        return self.home / "bodies"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def ensure_dirs(self) -> None:
        for path in (self.home, self.bodies_dir, self.logs_dir, self.reports_dir):
            path.mkdir(parents=True, exist_ok=True)


def crawl_home(settings: Any) -> Path:
    """A crawl's CERTWATCH_HOME: its Scrapy settings' (`certwatch crawl`, the benchmarks),
    else the environment's (`scrapy crawl`). Bodies, WARC files and the database must agree."""
    home = settings.get("CERTWATCH_HOME")
    return Path(home) if home else Config.from_env().home

"""The morning digest, in Chinese, as HTML and Markdown under CERTWATCH_HOME/reports/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader

from certwatch.monitor import Flag, SourceFigures
from certwatch.nightly_diff import NightDiff


@dataclass
class StepOutcome:
    """Lookalike hunt, evidence export, delivery: what happened, said for the digest."""

    name: str
    status: str          # done | skipped | not_installed | failed
    message: str         # Chinese
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "message": self.message,
                "details": self.details}


@dataclass
class Digest:
    nightly_id: int
    started_at: datetime
    timezone: str
    figures: list[SourceFigures]
    flags: list[Flag]
    diff: NightDiff
    steps: list[StepOutcome]
    missed: list[datetime]
    review_url: str
    risk_threshold: float
    limit: int

    @property
    def local_start(self) -> datetime:
        return self.started_at.astimezone(ZoneInfo(self.timezone))

    def link(self, listing_id: int) -> str:
        return f"{self.review_url}/listings/{listing_id}"

    def context(self) -> dict[str, Any]:
        risky = [d for d in self.diff.new if d.risky(self.risk_threshold)]
        # The rest of tonight's new listings, strongest first (the diff's order).
        others = [d for d in self.diff.new if not d.risky(self.risk_threshold)]
        since = self.diff.since.astimezone(ZoneInfo(self.timezone)) if self.diff.since else None
        return {"d": self, "diff": self.diff, "risky": risky, "others": others, "since": since,
                "missed": [m.astimezone(ZoneInfo(self.timezone)) for m in self.missed],
                "counts": self.diff.counts(), "limit": self.limit}


_LABELS = {"guazheng": "挂证", "fake_cert": "假证", "exam_fraud": "考试作弊", "benign": "正常",
           None: "未评分"}
_STATUS = {"finished": "完成", "interrupted": "中断", "failed": "失败", "missing": "未运行",
           "running": "运行中"}

TEMPLATES = Path(__file__).parent / "templates"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>#])")


def _md(text: str) -> str:
    """Escape what Markdown (or the HTML it may embed) would interpret; one line only."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _env(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=autoescape,
                      keep_trailing_newline=True)
    env.filters["md"] = _md
    env.filters["label"] = lambda v: _LABELS.get(v, v)
    env.filters["status"] = lambda v: _STATUS.get(v, v)
    return env


def render_markdown(digest: Digest) -> str:
    return _env(False).get_template("digest.md.j2").render(**digest.context())


def render_html(digest: Digest) -> str:
    return _env(True).get_template("digest.html.j2").render(**digest.context())


def write_digest(digest: Digest, reports_dir: Path) -> tuple[Path, Path]:
    """Write both files atomically; the name carries the local date and the run number."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    stem = f"nightly-{digest.local_start.strftime('%Y%m%d')}-{digest.nightly_id}"
    paths = reports_dir / f"{stem}.html", reports_dir / f"{stem}.md"
    for path, text in zip(paths, (render_html(digest), render_markdown(digest)), strict=True):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, "utf-8")
        tmp.replace(path)
    return paths

"""Per-source figures of one nightly, stored, and compared with the nights before it.

A source is flagged when it failed, returned nothing, dropped sharply against its recent
median, or when its error rate spiked. Flags go into the digest and make `nightly` exit 4.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from statistics import median

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from certwatch.nightly_config import MonitorSettings
from crawlers.pipelines.store import error_count
from store.clock import as_utc
from store.models import CrawlRun, Source
from store.nightly_models import NightlyRun, NightlySourceStat


@dataclass
class SourceFigures:
    source: str
    status: str
    pages: int
    listings: int
    errors: int
    seconds: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.pages if self.pages else 0.0


@dataclass
class Flag:
    kind: str     # failed | empty | drop | errors
    source: str
    message: str  # Chinese: it goes into the digest as is

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def batch_figures(engine: Engine, batch: str | None, wanted: list[str]) -> list[SourceFigures]:
    """One row per wanted source; a source without a run in the batch counts as failed."""
    found: dict[str, SourceFigures] = {}
    if batch is not None:
        with Session(engine) as session:
            for run, name in session.execute(
                    select(CrawlRun, Source.name).join(Source).where(CrawlRun.batch == batch)
                    .order_by(CrawlRun.id)):
                stats = run.stats or {}
                counts = stats.get("certwatch", {})
                started, finished = as_utc(run.started_at), as_utc(run.finished_at)
                fig = found.setdefault(name, SourceFigures(name, run.status, 0, 0, 0, 0.0))
                # Several runs per source: distributed workers, each with its own share.
                fig.pages += counts.get("pages", 0)
                # Listings stored now plus those a killed run had stored and this one resumed.
                fig.listings += counts.get("listings", 0) + stats.get("certwatch/resume/skipped",
                                                                      0)
                fig.errors += error_count(stats)
                fig.seconds = max(fig.seconds, (finished - started).total_seconds()
                                  if started and finished else 0.0)
                if run.status != "finished":
                    fig.status = run.status
    return [found.get(name) or SourceFigures(name, "missing", 0, 0, 0, 0.0)
            for name in wanted]


def store_figures(engine: Engine, nightly_id: int, figures: list[SourceFigures]) -> None:
    with Session(engine) as session, session.begin():
        session.add_all(NightlySourceStat(
            nightly_id=nightly_id, source=f.source, status=f.status, pages=f.pages,
            listings=f.listings, errors=f.errors, error_rate=f.error_rate, seconds=f.seconds)
            for f in figures)


def _history(engine: Engine, nightly_id: int, source: str,
             window: int) -> list[NightlySourceStat]:
    with Session(engine) as session:
        return list(session.scalars(
            select(NightlySourceStat).join(NightlyRun,
                                           NightlyRun.id == NightlySourceStat.nightly_id)
            .where(NightlySourceStat.source == source, NightlySourceStat.nightly_id < nightly_id,
                   NightlySourceStat.status == "finished")
            .order_by(NightlySourceStat.nightly_id.desc()).limit(window)))


def check(engine: Engine, nightly_id: int, figures: list[SourceFigures],
          settings: MonitorSettings) -> list[Flag]:
    flags: list[Flag] = []
    for fig in figures:
        if fig.status != "finished":
            what = "未能运行" if fig.status == "missing" else f"未完成（{fig.status}）"
            flags.append(Flag("failed", fig.source, f"{fig.source}：抓取{what}"))
            continue
        if fig.listings == 0:
            flags.append(Flag("empty", fig.source,
                              f"{fig.source}：本次没有抓到任何信息（{fig.pages} 个页面）"))
        history = _history(engine, nightly_id, fig.source, settings.window)
        enough = len(history) >= settings.min_history
        if enough and fig.listings:
            typical = median(h.listings for h in history)
            if fig.listings < settings.drop_ratio * typical:
                flags.append(Flag("drop", fig.source, (
                    f"{fig.source}：信息数骤降至 {fig.listings} 条，近 {len(history)} 晚中位数 "
                    f"{typical:g} 条（低于 {settings.drop_ratio:.0%}）")))
        usual = median(h.error_rate for h in history) if enough else None
        spiked = (usual is not None and fig.errors >= 3
                  and fig.error_rate >= settings.error_spike * max(usual, 0.02))
        if fig.pages and (fig.error_rate >= settings.error_rate or spiked):
            baseline = f"，近期中位数 {usual:.1%}" if usual is not None else ""
            flags.append(Flag("errors", fig.source, (
                f"{fig.source}：错误率 {fig.error_rate:.1%}（{fig.errors}/{fig.pages} 个页面"
                f"{baseline}）")))
    return flags

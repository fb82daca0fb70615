"""The nightly's hunt and evidence steps, run through their CLI contracts in child processes:
lookalike hunting (`certwatch hunt --feed FILE …`) and evidence packets
(`certwatch evidence export ID … --out DIR --case NAME`), so a crash in either cannot take
the nightly down with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from certwatch.config import Config
from certwatch.digest import StepOutcome
from certwatch.nightly_diff import DiffItem


def _run(config: Config, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CERTWATCH_HOME": str(config.home), "CERTWATCH_DB_URL": config.db_url}
    return subprocess.run([sys.executable, "-m", "certwatch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def _tail(text: str, lines: int = 8) -> list[str]:
    return [line for line in text.strip().splitlines()[-lines:] if line.strip()]


@dataclass
class HuntResult:
    outcome: StepOutcome
    # Tonight's lookalike sites whose page was captured: only those can go into a packet
    # (a name-only verdict has nothing to export; the digest lists it all the same).
    lookalikes: list[str] = field(default_factory=list)


def hunt_step(config: Config, feeds: tuple[Path, ...], since: datetime, *, fetch: bool = True,
              limit: int | None = None, enabled: bool = True,
              timeout: float = 3600) -> HuntResult:
    name = "仿冒网站排查"
    if not enabled:
        return HuntResult(StepOutcome(name, "skipped", "已在配置中关闭（hunt.enabled: false）"))
    unreadable = [problem for f in feeds if (problem := _unreadable(f))]
    if unreadable:
        return HuntResult(StepOutcome(name, "failed",
                                      f"无法读取域名源文件：{'；'.join(unreadable)}"))
    args = ["hunt"] + [a for f in feeds for a in ("--feed", str(f))]
    args += [] if fetch else ["--no-fetch"]
    args += ["--limit", str(limit)] if limit else []
    try:
        proc = _run(config, args, timeout)
    except subprocess.TimeoutExpired:
        return HuntResult(StepOutcome(name, "failed", f"超时（{timeout:.0f} 秒）"))
    if proc.returncode != 0:
        return HuntResult(StepOutcome(name, "failed",
                                      f"certwatch hunt 退出码 {proc.returncode}",
                                      _tail(proc.stderr)))
    found = lookalikes_since(config, since)
    lines = [f"仿冒 {v['domain']}（仿 {v['imitates'] or '?'}，分数 {v['score']:.2f}"
             + (f"，探针：{_CANARY.get(v['canary'], v['canary'])}" if v["canary"] else "")
             + ("" if v["captured"] else "，仅域名判定，未抓取页面") + "）"
             for v in found]
    what = (f"已完成（{len(feeds)} 个域名源）" if feeds else "已完成（仅内置来源）") + \
        f"，发现仿冒网站 {len(found)} 个"
    # Only sites whose pages were captured can go into an evidence packet.
    return HuntResult(StepOutcome(name, "done", what, lines),
                      [v["domain"] for v in found if v["captured"]])


def _unreadable(path: Path) -> str | None:
    """Why a feed cannot be read (said in the digest), or None."""
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except FileNotFoundError:
        return f"{path}（文件不存在）"
    except IsADirectoryError:
        return f"{path}（是目录，不是文件）"
    except OSError as exc:
        return f"{path}（{exc.strerror or exc}）"
    return None


_CANARY = {"valid": "虚构证书号被称有效", "not_found": "查无", "unclear": "不明",
           "no_form": "无查询表单", "failed": "失败"}


def lookalikes_since(config: Config, since: datetime) -> list[dict]:
    """Lookalike verdicts the hunt stored since `since`, strongest first."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from store.db import open_store
    from store.lookalike_models import LookalikeCandidate, LookalikeCapture, LookalikeVerdict

    with Session(open_store(config.db_url)) as session:
        rows = session.execute(
            select(LookalikeCandidate.domain, LookalikeVerdict.score, LookalikeVerdict.imitates,
                   LookalikeCapture.canary_result, LookalikeCapture.id)
            .join(LookalikeCandidate, LookalikeCandidate.id == LookalikeVerdict.candidate_id)
            .outerjoin(LookalikeCapture, LookalikeCapture.id == LookalikeVerdict.capture_id)
            .where(LookalikeVerdict.decided_at >= since, LookalikeVerdict.label == "lookalike")
            .order_by(LookalikeVerdict.score.desc(), LookalikeCandidate.domain)).all()
    best: dict[str, dict] = {}
    for domain, score, imitates, canary, capture_id in rows:
        best.setdefault(domain, {"domain": domain, "score": score, "imitates": imitates,
                                 "canary": canary, "captured": capture_id is not None})
    return list(best.values())


def evidence_step(config: Config, hits: list[DiffItem], threshold: float | None, case: str,
                  *, sites: Sequence[str] = (), limit: int = 20,
                  timeout: float = 3600) -> StepOutcome:
    """One packet per nightly: the strongest new hits (and tonight's lookalike sites)."""
    name = "证据包"
    if threshold is None:
        return StepOutcome(name, "skipped", "未配置（evidence.threshold），本步跳过")
    chosen = sorted((h for h in hits if h.risky(threshold)), key=lambda h: (-(h.score or 0), h.id))
    ids = [str(h.id) for h in chosen[:limit]] + [f"site:{d}" for d in sites[:limit]]
    if not ids:
        return StepOutcome(name, "skipped", f"没有风险分 ≥ {threshold} 的新增信息或仿冒网站")
    left = [f"#{h.id}" for h in chosen[limit:]]
    rest = [f"另有 {len(left)} 条超出单次上限 {limit}，未导出：{' '.join(left[:30])}"] \
        if left else []
    out = config.reports_dir / "evidence" / case
    out.mkdir(parents=True, exist_ok=True)
    args = ["evidence", "export", *ids, "--out", str(out), "--case", case,
            "--operator", "certwatch nightly"]
    try:
        proc = _run(config, args, timeout)
    except subprocess.TimeoutExpired:
        return StepOutcome(name, "failed", f"超时（{timeout:.0f} 秒）", rest)
    if proc.returncode != 0:
        return StepOutcome(name, "failed", f"certwatch evidence export 退出码 {proc.returncode}",
                           _tail(proc.stderr) + rest)
    packet = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else str(out)
    return StepOutcome(name, "done", f"已导出证据包 {packet}（{len(ids)} 项）",
                       _tail(proc.stderr, 2) + rest)

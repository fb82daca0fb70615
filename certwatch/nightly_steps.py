"""The nightly's optional steps, run through their stable CLI contracts in child processes:
lookalike hunting (`certwatch hunt --feed FILE …`) and evidence packets
(`certwatch evidence export ID … --out DIR --case NAME`).

Either is reported as not installed while its command is absent, never simulated.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from certwatch.config import Config
from certwatch.digest import StepOutcome
from certwatch.nightly_diff import DiffItem

HUNT_COMMAND = ("hunt",)
EVIDENCE_COMMAND = ("evidence", "export")


def installed(command: tuple[str, ...]) -> bool:
    """Whether the CLI has this (sub)command: the contract these steps run through."""
    import argparse

    from certwatch.cli import build_parser

    parser: argparse.ArgumentParser | None = build_parser()
    for name in command:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = subs[0].choices.get(name) if subs else None
        if parser is None:
            return False
    return True


def _run(config: Config, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CERTWATCH_HOME": str(config.home), "CERTWATCH_DB_URL": config.db_url}
    return subprocess.run([sys.executable, "-m", "certwatch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def _tail(text: str, lines: int = 8) -> list[str]:
    return [line for line in text.strip().splitlines()[-lines:] if line.strip()]


def hunt_step(config: Config, feeds: tuple[Path, ...], timeout: float = 3600) -> StepOutcome:
    name = "仿冒网站排查"
    if not installed(HUNT_COMMAND):
        return StepOutcome(name, "not_installed", "未安装（certwatch hunt 尚不可用），本步跳过")
    missing = [str(f) for f in feeds if not f.is_file()]
    if missing:
        return StepOutcome(name, "failed", f"域名源文件不存在：{', '.join(missing)}")
    args = ["hunt"] + [a for f in feeds for a in ("--feed", str(f))]
    try:
        proc = _run(config, args, timeout)
    except subprocess.TimeoutExpired:
        return StepOutcome(name, "failed", f"超时（{timeout:.0f} 秒）")
    if proc.returncode != 0:
        return StepOutcome(name, "failed", f"certwatch hunt 退出码 {proc.returncode}",
                           _tail(proc.stderr))
    what = f"已完成（{len(feeds)} 个域名源）" if feeds else "已完成（仅内置来源）"
    return StepOutcome(name, "done", what, _tail(proc.stdout))


def evidence_step(config: Config, hits: list[DiffItem], threshold: float | None, case: str,
                  timeout: float = 3600) -> StepOutcome:
    name = "证据包"
    if threshold is None:
        return StepOutcome(name, "skipped", "未配置（evidence.threshold），本步跳过")
    chosen = [h for h in hits if h.risky(threshold)]
    if not chosen:
        return StepOutcome(name, "skipped", f"没有风险分 ≥ {threshold} 的新增信息")
    if not installed(EVIDENCE_COMMAND):
        return StepOutcome(name, "not_installed",
                           f"未安装（certwatch evidence 尚不可用）；{len(chosen)} 条待导出：" +
                           " ".join(f"#{h.id}" for h in chosen[:20]))
    out = config.reports_dir / "evidence" / case
    out.mkdir(parents=True, exist_ok=True)
    args = ["evidence", "export", *[str(h.id) for h in chosen], "--out", str(out),
            "--case", case, "--operator", "certwatch nightly"]
    try:
        proc = _run(config, args, timeout)
    except subprocess.TimeoutExpired:
        return StepOutcome(name, "failed", f"超时（{timeout:.0f} 秒）")
    if proc.returncode != 0:
        return StepOutcome(name, "failed", f"certwatch evidence export 退出码 {proc.returncode}",
                           _tail(proc.stderr))
    return StepOutcome(name, "done", f"已为 {len(chosen)} 条高风险信息导出证据包到 {out}",
                       _tail(proc.stdout))

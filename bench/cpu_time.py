"""CPU time of a crawl in this process, its child processes included.

The WARC writer and the scoring process serve every crawl of a process and are still
running when a crawl ends, so `os.times()` does not see them: their time is read from /proc.
"""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds() -> float:
    """This process's CPU time, its finished children's, and the running WARC writer's and
    scoring process's."""
    t = os.times()
    own = t.user + t.system + t.children_user + t.children_system
    return own + sum(_child_cpu_seconds(pid) for pid in _child_pids())


def _child_pids() -> list[int]:
    from classifiers.listing_scorer import default_scorer
    from store import warc_process

    pids = []
    if default_scorer.cache_info().currsize and default_scorer() is not None:
        pids.append(default_scorer().pid)
    if (writer := warc_process.child_pid()) is not None:
        pids.append(writer)
    return pids


def _child_cpu_seconds(pid: int) -> float:
    # /proc/PID/stat: utime and stime are fields 14 and 15, after the "(name)" field.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

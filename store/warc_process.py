"""Write a crawl's WARC records in a child process, so capture costs the crawl almost nothing.

In a thread, serialising, compressing and indexing every exchange held the GIL the crawl's
reactor thread needs: capture slowed the crawl by a fifth (`bench/crawl.py`). Here the
reactor thread only pickles each `PageCapture` into a pipe; a child process
(`python -m store.warc_process`) runs the same `CaptureWriter` on the other end and reports
its totals when the pipe closes.

Frames (`store.frames`) on the child's stdin: the writer's configuration first, then one
capture each; the end of the stream ends the capture. The child's stdout carries one frame
back: the totals, the files written and the warnings it logged.

Nothing queued is lost to a crash of the crawl: the child ignores SIGINT and SIGTERM (they
reach the whole process group) and, when its stdin closes — the crawl finished, or was
killed — writes and indexes everything it has received, then exits. A pipe full of
unwritten captures holds the crawl back, as the thread's bounded queue did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from store import frames
from store.warc_capture import PageCapture

try:
    import fcntl
except ImportError:  # not POSIX: the pipe keeps its default size
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

# Captures waiting in the pipe before `submit` blocks (Linux caps it at pipe-max-size).
PIPE_BYTES = 1 << 20
MAX_MESSAGES = 20  # warnings the child hands back for the crawl log


class CaptureProcess:
    """`CaptureWriter`'s interface, with the writing done in a child process."""

    def __init__(self) -> None:
        """Start the child now (its imports take a moment); `configure` before `submit`."""
        self.records = self.revisits = self.bytes = self.errors = self.unindexed = 0
        self.files: list[Path] = []
        self.lost = 0  # captures the child never received (it died)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "store.warc_process"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, bufsize=0, close_fds=True)
        assert self._proc.stdin is not None
        self._pipe = self._proc.stdin
        _grow(self._pipe.fileno())
        self._closed = False

    def configure(self, home: Path, db_url: str, *, source: str, info: dict[str, str],
                  roll_bytes: int | None = None) -> None:
        """Where and what to write: the child's writer starts when this arrives."""
        self._send({"home": str(home), "db_url": db_url, "source": source, "info": info,
                    "roll_bytes": roll_bytes})

    def submit(self, capture: PageCapture) -> None:
        """Queue `capture`; blocks while the pipe is full."""
        if self._closed:
            self.lost += 1
            return
        self._send(capture)

    def close(self) -> None:
        """Wait until the child has written and indexed everything. Blocks."""
        if not self._closed:
            with contextlib.suppress(OSError):
                frames.write_all(self._pipe, frames.END)
        self._closed = True
        with contextlib.suppress(OSError):
            self._pipe.close()
        assert self._proc.stdout is not None
        try:
            totals = frames.read(self._proc.stdout)
        except Exception:  # a torn report
            totals = None
        self._proc.wait()
        if totals is None:  # the child died: whatever it had not written is lost
            self.errors += 1
            logger.error("the WARC writer process ended without a report (exit status %s)",
                         self._proc.returncode)
            totals = {}
        for name in ("records", "revisits", "bytes", "errors", "unindexed"):
            setattr(self, name, getattr(self, name) + totals.get(name, 0))
        self.files = [Path(p) for p in totals.get("files", [])]
        for message in totals.get("messages", []):
            logger.warning("WARC writer: %s", message)
        if self.lost:
            self.errors += 1
            logger.error("%d page capture(s) lost: the WARC writer process had gone",
                         self.lost)

    def _send(self, value: Any) -> None:
        data = frames.encode(value)
        try:
            frames.write_all(self._pipe, data)
        except OSError:  # the child is gone: say so once, count what could not be sent
            if not self._closed:
                logger.error("the WARC writer process has gone; captures are being lost")
            self._closed = True
            self.lost += 1


def _grow(fd: int) -> None:
    if fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux only
        return
    with contextlib.suppress(OSError):  # capped by /proc/sys/fs/pipe-max-size
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


# -- the child ------------------------------------------------------------------------------
class _Remember(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < MAX_MESSAGES:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f": {record.exc_info[1]!r}"
            self.messages.append(text)


def main() -> None:
    # The crawl decides when capture ends (its pipe closes); a Ctrl-C or a service stop
    # reaching the whole process group must not cut short what it already handed over.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    report = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # nothing else may write to the report pipe
    remember = _Remember()
    logging.getLogger().addHandler(remember)
    stream = sys.stdin.buffer
    config = frames.read(stream)
    totals: dict[str, Any] = {}
    if config is not None:
        from store.warc_capture import CaptureWriter

        writer = CaptureWriter(Path(config["home"]), config["db_url"], source=config["source"],
                               info=config["info"],
                               **({"roll_bytes": config["roll_bytes"]}
                                  if config["roll_bytes"] else {}))
        while (capture := frames.read(stream)) is not None:
            writer.submit(capture)
        writer.close()
        totals = {"records": writer.records, "revisits": writer.revisits,
                  "bytes": writer.bytes, "errors": writer.errors,
                  "unindexed": writer.unindexed, "files": [str(p) for p in writer.files]}
    totals["messages"] = remember.messages
    frames.write_all(report, frames.encode(totals))
    report.close()


if __name__ == "__main__":
    main()

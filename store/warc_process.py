"""Write WARC records in a child process, so capture costs the crawl almost nothing.

In a thread, serialising, compressing and indexing every exchange held the GIL the crawl's
reactor thread needs: capture slowed the crawl by a fifth (`bench/crawl.py`). Here the
reactor thread only pickles each `PageCapture` into a pipe; a child process
(`python -m store.warc_process`) runs a `CaptureWriter` per crawl on the other end. One
child serves every crawl of the process (its start-up costs a small crawl's worth of CPU),
each crawl on its own channel.

Frames (`store.frames`) on the child's stdin: ("open", channel, configuration),
("capture", channel, capture), ("close", channel). The child answers each close on its
stdout with (channel, totals): records, files written, the warnings it logged.

Nothing handed over is lost to a crash of the crawl: the child ignores SIGINT and SIGTERM
(they reach the whole process group) and, when its stdin closes — the process finished, or
was killed — writes and indexes everything it has received, then exits. A pipe full of
unwritten captures holds the crawl back, as the thread's bounded queue did.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import sys
import threading
from pathlib import Path
from typing import Any

from store import frames
from store.warc_capture import CaptureWriter, PageCapture

try:
    import fcntl
except ImportError:  # not POSIX: the pipe keeps its default size
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

# Captures waiting in the pipe before `submit` blocks (Linux caps it at pipe-max-size).
PIPE_BYTES = 1 << 20
MAX_MESSAGES = 20  # warnings a channel hands back for the crawl log


class _Child:
    """The running child process, shared by the crawls of this process."""

    def __init__(self) -> None:
        self.proc = frames.start_child("store.warc_process")
        _grow(self.proc.stdin.fileno())
        self.channels = itertools.count(1)
        self.dead = False
        self._send_lock = threading.Lock()
        self._reply_lock = threading.Lock()
        self._replies: dict[int, dict[str, Any]] = {}

    def send(self, message: tuple) -> bool:
        """False when the child is gone (the message is lost)."""
        data = frames.encode(message)
        with self._send_lock:
            if self.dead:
                return False
            try:
                frames.write_all(self.proc.stdin, data)
            except OSError:
                self.dead = True
                logger.error("the WARC writer process has gone; captures are being lost")
                return False
        return True

    def reply(self, channel: int) -> dict[str, Any] | None:
        """The totals the child sent for `channel`; None if it died first."""
        with self._reply_lock:  # one reader at a time; others' replies wait in the dict
            while channel not in self._replies:
                try:
                    message = frames.read(self.proc.stdout)
                except Exception:  # a torn reply
                    message = None
                if message is None:
                    self.dead = True
                    return None
                self._replies[message[0]] = message[1]
            return self._replies.pop(channel)


_child: _Child | None = None
_child_lock = threading.Lock()


def _running_child() -> _Child:
    global _child
    with _child_lock:
        if _child is None or _child.dead or _child.proc.poll() is not None:
            _child = _Child()
        return _child


def child_pid() -> int | None:
    """The running writer process's pid (the benchmarks read its CPU time), if one runs."""
    child = _child
    return child.proc.pid if child is not None and not child.dead else None


class CaptureProcess:
    """`CaptureWriter`'s interface for one crawl, with the writing done in the child."""

    def __init__(self) -> None:
        """Start the child if none runs (its imports take a moment); `configure` next."""
        self.records = self.revisits = self.bytes = self.errors = self.unindexed = 0
        self.files: list[Path] = []
        self.lost = 0  # captures the child never received (it died)
        self._child = _running_child()
        self._channel = next(self._child.channels)
        self._closed = False

    @property
    def pid(self) -> int:
        return self._child.proc.pid

    def configure(self, home: Path, db_url: str, *, source: str, info: dict[str, str],
                  roll_bytes: int | None = None) -> None:
        """Where and what to write: the child's writer starts when this arrives."""
        self._send(("open", self._channel, {
            "home": str(home), "db_url": db_url, "source": source, "info": info,
            "roll_bytes": roll_bytes}))

    def submit(self, capture: PageCapture) -> None:
        """Queue `capture`; blocks while the pipe is full."""
        self._send(("capture", self._channel, capture))

    def close(self) -> None:
        """Wait until the child has written and indexed this crawl's captures. Blocks."""
        if self._closed:
            return
        self._closed = True
        totals = (self._child.reply(self._channel)
                  if self._child.send(("close", self._channel)) else None)
        if totals is None:  # the child died: whatever it had not written is lost
            self.errors += 1
            logger.error("the WARC writer process ended before reporting (exit status %s)",
                         self._child.proc.poll())
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

    def _send(self, message: tuple) -> None:
        if (self._closed or not self._child.send(message)) and message[0] == "capture":
            self.lost += 1


def _grow(fd: int) -> None:
    if fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux only
        return
    with contextlib.suppress(OSError):  # capped by /proc/sys/fs/pipe-max-size
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


# -- the child ------------------------------------------------------------------------------
class _Remember(logging.Handler):
    """Warnings per channel (the writer thread's name says whose), for the crawl's log."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: dict[str, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        kept = self.messages.setdefault(record.threadName or "", [])
        if len(kept) < MAX_MESSAGES:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f": {record.exc_info[1]!r}"
            kept.append(text)


def main() -> None:
    # A Ctrl-C or a service stop must not cut short what the crawl already handed over.
    out = frames.child_replies()
    out_lock = threading.Lock()
    remember = _Remember()
    logging.getLogger().addHandler(remember)
    writers: dict[int, CaptureWriter] = {}
    closing: list[threading.Thread] = []

    def close(channel: int, writer: CaptureWriter) -> None:
        writer.close()
        totals = {"records": writer.records, "revisits": writer.revisits,
                  "bytes": writer.bytes, "errors": writer.errors,
                  "unindexed": writer.unindexed, "files": [str(p) for p in writer.files],
                  "messages": remember.messages.pop(f"warc-{channel}", [])}
        with out_lock, contextlib.suppress(OSError):  # the crawl may be gone
            frames.write_all(out, frames.encode((channel, totals)))

    stream = sys.stdin.buffer
    while (message := frames.read(stream)) is not None:
        kind, channel = message[0], message[1]
        if kind == "capture" and channel in writers:
            writers[channel].submit(message[2])
        elif kind == "open":
            config = message[2]
            writers[channel] = CaptureWriter(
                Path(config["home"]), config["db_url"], source=config["source"],
                info=config["info"], name=f"warc-{channel}",
                **({"roll_bytes": config["roll_bytes"]} if config["roll_bytes"] else {}))
        elif kind == "close":
            writer = writers.pop(channel, None)
            if writer is None:
                with out_lock:
                    frames.write_all(out, frames.encode((channel, {})))
                continue
            # Off the reading loop: other crawls' captures keep flowing while this drains.
            thread = threading.Thread(target=close, args=(channel, writer))
            thread.start()
            closing.append(thread)
    # The crawling process is gone (or done): write everything it handed over.
    for channel, writer in writers.items():
        close(channel, writer)
    for thread in closing:
        thread.join()


if __name__ == "__main__":
    main()

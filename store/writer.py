"""A background thread that applies a crawl's writes in order, off the reactor thread.

The reactor thread only hands jobs over; hashing and writing bodies, building rows,
scoring and committing happen here. Anything that persists what a crawl fetched (the
store, a WARC file) can own one: jobs are plain callables run one at a time in submission
order, so a job may rely on every earlier one having finished (a page row is committed
only after its body file exists).

The queue is bounded by jobs and by bytes: when the disk or database falls behind,
`submit` blocks and the crawl slows down instead of holding every fetched body in memory.
The first job that raises stops the writer; that exception is raised in the producer at its
next `submit`, `drain` or `close`, and jobs queued after it are not run (they would build
on a write that did not happen).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

Job = Callable[[], Any]


class WriterStopped(RuntimeError):
    """`submit` after `close`: a programming error, never a data condition."""


class WriterThread:
    def __init__(self, name: str, *, max_jobs: int = 256, max_bytes: int = 64 << 20) -> None:
        self.name = name
        self.max_jobs = max_jobs
        self.max_bytes = max_bytes
        self._jobs: deque[tuple[Job, int]] = deque()
        self._bytes = 0
        self._busy = False
        self._closing = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        # Daemon: if the process is killed or the reactor is stopped hard, an unfinished
        # job dies with it. Each job is atomic on its own (one transaction, bodies renamed
        # into place), so that loses the job, never half of it.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def error(self) -> BaseException | None:
        return self._error

    def submit(self, job: Job, size: int = 0) -> None:
        """Queue `job`; blocks while the queue is full. Raises the writer's failure, if any."""
        with self._cond:
            if self._closing:
                raise WriterStopped(f"writer {self.name} is closed")
            # A job larger than the byte budget still goes through once the queue is empty.
            while self._error is None and self._jobs and (
                    len(self._jobs) >= self.max_jobs or self._bytes + size > self.max_bytes):
                self._cond.wait()
            self._raise_error()
            self._jobs.append((job, size))
            self._bytes += size
            self._cond.notify_all()

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every job submitted so far has run; raise the writer's failure."""
        with self._cond:
            if not self._cond.wait_for(
                    lambda: self._error is not None or not (self._jobs or self._busy), timeout):
                raise TimeoutError(f"writer {self.name}: {len(self._jobs)} jobs still queued")
            self._raise_error()

    def close(self, timeout: float | None = None) -> None:
        """Run what is queued, stop the thread and raise the writer's failure, if any."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"writer {self.name}: still writing after {timeout} s")
        with self._cond:
            self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._closing:
                    self._cond.wait()
                if not self._jobs or self._error is not None:
                    self._jobs.clear()
                    self._cond.notify_all()
                    return
                job, size = self._jobs.popleft()
                self._busy = True
                self._cond.notify_all()  # room in the queue for a blocked producer
            try:
                job()
            except BaseException as exc:  # noqa: BLE001 - handed to the producer, not lost
                with self._cond:
                    self._error = exc
                    self._jobs.clear()
                    self._bytes = size  # the finally below takes the failed job's share
            finally:
                with self._cond:
                    self._busy = False
                    self._bytes -= size
                    self._cond.notify_all()

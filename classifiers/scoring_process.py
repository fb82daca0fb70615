"""Score a crawl's listings in a child process, off the crawl's GIL.

Scoring is the largest part of the store's writer thread; in the crawling process it held
the GIL the reactor thread needs. The store's scorer hook (`store.recorder.Scorer`) sends
each flush's (title, text) pairs down a pipe (`store.frames`) and waits for the verdicts —
waiting on a pipe leaves the GIL free — while `python -m classifiers.scoring_process` loads
the model once and answers batch after batch. One child serves every crawl of a process.

The child answers its first frame with the model version, or with why the model cannot be
loaded (the crawl then stores listings unscored, as before). It ignores SIGINT and SIGTERM
(they reach the whole process group; the crawl decides) and exits when its pipe closes.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from typing import Any

from classifiers.errors import ModelUnavailable
from store import frames

logger = logging.getLogger(__name__)


class ScoringFailed(RuntimeError):
    """The scoring process died or could not score a batch."""


class ScoringProcess:
    """The store's scorer hook, answered by a child process. Thread-safe."""

    def __init__(self) -> None:
        """Start the child and wait for its model; `ModelUnavailable` if it has none."""
        self._proc = frames.start_child("classifiers.scoring_process")
        self._lock = threading.Lock()
        hello = self._receive()
        if "error" in hello:
            self.close()
            raise ModelUnavailable(hello["error"])
        self.model_version: str = hello["model_version"]

    @property
    def pid(self) -> int:
        return self._proc.pid

    def __call__(self, items: list[Any]) -> list[dict[str, Any]]:
        """Verdict columns (`listing_scorer.verdict_columns`) for each `ListingData`."""
        with self._lock:
            try:
                frames.write_all(self._proc.stdin, frames.encode(
                    [(item.title, item.text) for item in items]))
            except OSError as exc:
                raise ScoringFailed(f"the scoring process has gone ({exc})") from None
            reply = self._receive()
        if isinstance(reply, dict):
            raise ScoringFailed(f"the scoring process failed on a batch: {reply['error']}")
        return reply

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        self._proc.wait()

    def _receive(self) -> Any:
        reply = frames.read(self._proc.stdout)
        if reply is None:
            raise ScoringFailed(
                f"the scoring process ended (exit status {self._proc.poll()}); "
                "its error is in the log above")
        return reply


def main() -> None:
    out = frames.child_replies()
    logging.basicConfig(level=logging.WARNING, format="scoring process: %(message)s")
    from classifiers.listing_scorer import verdict_columns
    from classifiers.scoring import Classifier

    try:
        classifier = Classifier.load()
    except ModelUnavailable as exc:
        frames.write_all(out, frames.encode({"error": str(exc)}))
        return
    frames.write_all(out, frames.encode({"model_version": classifier.version}))
    stream = sys.stdin.buffer
    while (pairs := frames.read(stream)) is not None:
        try:
            reply: Any = [verdict_columns(v) for v in classifier.classify_many(pairs)]
        except Exception as exc:  # the crawl stops with this message; the log has the trace
            logger.exception("scoring a batch of %d listings failed", len(pairs))
            reply = {"error": repr(exc)}
        frames.write_all(out, frames.encode(reply))


if __name__ == "__main__":
    main()

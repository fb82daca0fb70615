"""`certwatch classify`: JSON Lines in, one verdict (or one error) per input line out.

Output order follows input order; a bad line becomes `{"line": N, "error": …}` in its place
so a consumer can zip outputs with inputs, and the others are still scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from classifiers.scoring import Classifier

BATCH = 256


def _parse(line: str, number: int) -> tuple[dict[str, Any] | None, str | None]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(obj, dict):
        return None, "expected a JSON object with \"id\" and \"text\""
    if "id" not in obj:
        return None, "missing field \"id\""
    if not isinstance(obj.get("text"), str):
        return None, "field \"text\" must be a string"
    if "title" in obj and obj["title"] is not None and not isinstance(obj["title"], str):
        return None, "field \"title\" must be a string when given"
    return obj, None


def classify_lines(lines: Iterable[str], out: TextIO, classifier: Classifier) -> int:
    """Write one JSON line per input line; returns the number of bad lines."""
    bad = 0
    pending: list[tuple[int, dict[str, Any] | None, str | None]] = []

    def flush() -> None:
        good = [obj for _, obj, _ in pending if obj is not None]
        verdicts = iter(classifier.classify_many(
            [(obj.get("title") or "", _clean(obj["text"])) for obj in good]))
        for number, obj, error in pending:
            if obj is None:
                out.write(json.dumps({"line": number, "error": error}, ensure_ascii=False))
            else:
                result = {"id": obj["id"], **next(verdicts).as_dict()}
                out.write(json.dumps(result, ensure_ascii=False))
            out.write("\n")
        out.flush()
        pending.clear()

    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        obj, error = _parse(line, number)
        bad += error is not None
        pending.append((number, obj, error))
        if len(pending) >= BATCH:
            flush()
    if pending:
        flush()
    return bad


def _clean(text: str) -> str:
    # json.loads accepts lone surrogates ("\ud800"); they cannot be written back as UTF-8.
    return text.encode("utf-8", "replace").decode("utf-8")

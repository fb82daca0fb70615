"""`certwatch classify`: JSON Lines in, one verdict (or one error) per non-blank line out.

Output order follows input order; a bad line becomes `{"line": N, "error": …}` in its place
so a consumer can zip outputs with inputs, and the others are still scored. Lines holding
nothing but JSON whitespace are skipped, as JSONL tools do; N counts every physical line.

Input and output are bytes: each line is decoded strictly on its own (one line of invalid
UTF-8 is one error line, not a crash), and every output line is strict UTF-8 JSON, so a
consumer never meets a lone surrogate, NaN or Infinity.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Iterable
from typing import Any, BinaryIO

from classifiers.scoring import Classifier, Verdict

BATCH = 256
JSON_WHITESPACE = b" \t\r\n"

Parsed = tuple[int, dict[str, Any] | None, str | None]


class _NotJSON(ValueError):
    """Python's json module accepts it, JSON does not (NaN, Infinity, 1e400)."""


def _reject_constant(name: str) -> Any:
    raise _NotJSON(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as inf, which json.dumps would write as Infinity
        raise _NotJSON(f"number {text[:40]} is out of range")
    return value


def _representable(value: Any) -> bool:
    """Whether `value` can be written back as strict UTF-8 JSON (no lone surrogates)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse(raw: bytes, number: int) -> tuple[dict[str, Any] | None, str | None]:
    if number == 1 and raw.startswith(codecs.BOM_UTF8):  # files saved by Windows editors
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        # Without its line ending, so a column number is never counted on a "line 2".
        line = raw.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 (byte {exc.start + 1})"
    try:
        obj = json.loads(line, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}"
    except _NotJSON as exc:
        return None, f"not valid JSON: {exc}"
    except ValueError:  # an integer past Python's digit limit for int()
        return None, "not valid JSON: a number too long to read"
    except RecursionError:
        return None, "not valid JSON: nested too deeply"
    if not isinstance(obj, dict):
        return None, "expected a JSON object with \"id\" and \"text\""
    if "id" not in obj:
        return None, "missing field \"id\""
    # The id is echoed as given; one that cannot be written back would break the zip.
    if not _representable(obj["id"]):
        return None, "field \"id\" holds a lone surrogate (\\ud800-\\udfff), not valid Unicode"
    if not isinstance(obj.get("text"), str):
        return None, "field \"text\" must be a string"
    if "title" in obj and obj["title"] is not None and not isinstance(obj["title"], str):
        return None, "field \"title\" must be a string when given"
    return obj, None


# Line breaks JSON leaves raw (NEL, LINE/PARAGRAPH SEPARATOR) would split a result line for
# readers that break on every Unicode newline (Python's str.splitlines, many editors).
_RAW_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _encode(value: dict[str, Any]) -> bytes:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False).translate(_RAW_BREAKS)
    return text.encode("utf-8") + b"\n"


def _score(classifier: Classifier, items: list[tuple[str, str]]) -> list[Verdict | None]:
    """Verdicts for a batch; if the batch fails, each item alone, None for those that fail."""
    try:
        return list(classifier.classify_many(items))
    except Exception:  # some item breaks the batch: score them one by one to find which
        pass
    verdicts: list[Verdict | None] = []
    for item in items:
        try:
            verdicts.append(classifier.classify_many([item])[0])
        except Exception:  # one line's failure must not cost the others their verdicts
            verdicts.append(None)
    return verdicts


def _write_batch(pending: list[Parsed], out: BinaryIO, classifier: Classifier) -> int:
    """Score and write one batch in input order; returns how many lines got an error line."""
    good = [obj for _, obj, _ in pending if obj is not None]
    verdicts = iter(_score(classifier, [(obj.get("title") or "", obj["text"]) for obj in good]))
    bad = 0
    chunks = []
    for number, obj, error in pending:
        if obj is not None:
            verdict = next(verdicts)
            if verdict is None:
                error = "internal error while scoring this line"
            else:
                try:
                    chunks.append(_encode({"id": obj["id"], **verdict.as_dict()}))
                    continue
                except (ValueError, TypeError):  # UnicodeEncodeError is a ValueError
                    error = "internal error: the verdict could not be written as JSON"
        bad += 1
        chunks.append(_encode({"line": number, "error": error}))
    out.write(b"".join(chunks))
    out.flush()
    return bad


def classify_lines(lines: Iterable[bytes], out: BinaryIO, classifier: Classifier) -> int:
    """Write one JSON line per non-blank input line; returns the number of error lines."""
    bad = 0
    pending: list[Parsed] = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip(JSON_WHITESPACE):
            continue
        obj, error = _parse(raw, number)
        pending.append((number, obj, error))
        if len(pending) >= BATCH:
            bad += _write_batch(pending, out, classifier)
            pending.clear()
    if pending:
        bad += _write_batch(pending, out, classifier)
    return bad

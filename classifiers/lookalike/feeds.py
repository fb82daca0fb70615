"""Domain feeds read from files: newly-registered-domain lists and certificate-transparency JSON.

One line is either a plain domain (a CSV/TSV line counts by its first field), a JSON object —
certstream (`data.leaf_cert.all_domains`), crt.sh (`name_value`, names separated by newlines),
or plain `dns_names` / `domains` (a list or a string) — or a JSON array of such objects or of
names (crt.sh's `?output=json` is one such line). Wildcards (`*.`) are stripped.
`.gz` files are read decompressed. Unreadable lines are reported, never fatal.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from classifiers.lookalike.errors import FeedError

_FIRST_FIELD = re.compile(r"[\s,;]+")


@dataclass
class FeedProblems:
    """Lines a feed could not use, as 'path:line: reason' (kept for the run summary)."""

    lines: list[str] = field(default_factory=list)

    def add(self, path: Path, number: int, reason: str) -> None:
        self.lines.append(f"{path}:{number}: {reason}")


def read_feed(path: Path, problems: FeedProblems | None = None) -> Iterator[tuple[str, int]]:
    """(name as found, line number) for every name in the feed, in file order."""
    try:
        handle = _open(path)
    except OSError as exc:
        raise FeedError(f"cannot read feed {path}: {exc.strerror or exc}") from None
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                if text.startswith(("{", "[")):
                    try:
                        names = _json_line(json.loads(text))
                    except (ValueError, TypeError) as exc:
                        if problems is not None:
                            problems.add(path, number, f"not a JSON object: {exc}")
                        continue
                    if not names and problems is not None:
                        problems.add(path, number, "no all_domains, name_value, dns_names or "
                                                   "domains field")
                else:
                    names = [_FIRST_FIELD.split(text, 1)[0]]
                for name in names:
                    name = strip_wildcard(name)
                    if name:
                        yield name, number
        except (OSError, EOFError) as exc:
            raise FeedError(f"feed {path} is damaged: {exc}") from None


def _open(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")  # noqa: SIM115
    return path.open(encoding="utf-8", errors="replace")  # noqa: SIM115


def _json_line(value: Any) -> list[str]:
    # crt.sh's ?output=json is one array of records on one line; a list of plain names too.
    if isinstance(value, list):
        return [n for item in value
                for n in (json_names(item) if isinstance(item, dict) else _strings(item))]
    return json_names(value)


def json_names(entry: Any) -> list[str]:
    """Names in one certificate-transparency record (certstream, crt.sh or plain shapes)."""
    if not isinstance(entry, dict):
        raise TypeError("expected a JSON object")
    found: list[str] = []
    data = entry.get("data")
    if isinstance(data, dict):
        leaf = data.get("leaf_cert")
        if isinstance(leaf, dict):
            found += _strings(leaf.get("all_domains"))
    if "name_value" in entry:
        for value in _strings(entry.get("name_value")):
            found += value.split("\n")
    if "common_name" in entry and "name_value" in entry:
        found += _strings(entry.get("common_name"))
    for key in ("dns_names", "domains", "all_domains"):
        found += _strings(entry.get(key))
    return [name.strip() for name in found if name.strip()]


def strip_wildcard(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    while name.startswith("*."):
        name = name[2:]
    return name


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []

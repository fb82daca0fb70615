"""Append-only, hash-chained custody log (JSON Lines).

Each entry's `hash` is the SHA-256 of the entry without `hash` and `sig`, serialised with
sorted keys and no spaces — exactly what `jq -cS 'del(.hash, .sig)'` prints — and `prev` is
the previous entry's hash, so the chain can be checked with jq and sha256sum alone. `sig`
is the Ed25519 signature (base64) over the ASCII `hash`, made with the installation key of
whoever wrote the entry; `signer_key` (inside the hashed body) is that key's public PEM.
The packet carries the log as it stood when the packet was written;
CERTWATCH_HOME/custody/<case>.jsonl keeps the exporter's copy, which later exports and
handovers of the same case continue.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reports.evidence import signing
from reports.evidence.errors import CustodyError
from reports.evidence.timefmt import shanghai, utc_z

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


UNHASHED = ("hash", "sig")


def canonical(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k not in UNHASHED}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(entry).encode("utf-8")).hexdigest()


def _clean(text: str | None) -> str | None:
    # jq and Python escape control characters differently; keep them out so both
    # serialisations (and so both hashes) agree byte for byte.
    return None if text is None else _CONTROL.sub(" ", text)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def check_chain(entries: list[dict[str, Any]]) -> Problem | None:
    prev = None
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry.get("hash"), str) or not (
                entry.get("prev") is None or isinstance(entry.get("prev"), str)):
            return Problem(n, "hash/prev are not strings")
        if entry.get("seq") != n:
            return Problem(n, f"seq is {entry.get('seq')!r}, expected {n}")
        if entry.get("prev") != prev:
            return Problem(n, "prev does not match the hash of the entry before it")
        if entry.get("hash") != entry_hash(entry):
            return Problem(n, "hash does not match the entry's content")
        prev = entry["hash"]
    return None


def parse_log(data: bytes) -> tuple[list[dict[str, Any]], Problem | None]:
    entries: list[dict[str, Any]] = []
    for n, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return entries, Problem(n, f"not a JSON line: {exc}")
        if not isinstance(entry, dict):
            return entries, Problem(n, "not a JSON object")
        entries.append(entry)
    if not data.endswith(b"\n") and data:
        return entries, Problem(len(entries), "log does not end with a newline")
    return entries, check_chain(entries)


def check_signatures(entries: list[dict[str, Any]],
                     trusted: frozenset[str] | None) -> tuple[Problem | None, set[str]]:
    """Each entry's `sig` over its hash by its `signer_key`; with `trusted` fingerprints,
    a key outside them fails. Returns (problem, fingerprints seen)."""
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        pem, sig = entry.get("signer_key"), entry.get("sig")
        if not isinstance(pem, str) or not isinstance(sig, str):
            return Problem(n, "unsigned (no signer_key/sig)"), seen
        try:
            raw = base64.b64decode(sig, validate=True)
            fp = signing.fingerprint(pem.encode("ascii"))
        except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
            return Problem(n, f"signer_key/sig unreadable ({exc})"), seen
        problem = signing.check_signature(pem.encode("ascii"), entry["hash"].encode("ascii"),
                                          raw)
        if problem:
            return Problem(n, f"sig: {problem}"), seen
        if trusted is not None and fp not in trusted:
            return Problem(n, f"signed by key {fp}, not a trusted fingerprint"), seen
        seen.add(fp)
    return None, seen


def serialise(entries: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(e, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode("utf-8") + b"\n" for e in entries)


def new_entry(entries: list[dict[str, Any]], *, key: Ed25519PrivateKey, action: str, who: str,
              case: str, packet: str, before: dict[str, str], after: dict[str, str],
              at: datetime, to: str | None = None, note: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "seq": len(entries) + 1, "action": action, "who": _clean(who), "to": _clean(to),
        "note": _clean(note), "case": _clean(case), "packet": _clean(packet),
        "host": socket.gethostname(), "at": utc_z(at), "at_local": shanghai(at).isoformat(),
        "before": dict(sorted(before.items())), "after": dict(sorted(after.items())),
        "prev": entries[-1]["hash"] if entries else None,
        "signer_key": signing.public_pem(key).decode("ascii"),
    }
    entry["hash"] = entry_hash(entry)
    entry["sig"] = base64.b64encode(signing.sign(key, entry["hash"].encode("ascii"))).decode()
    return entry


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive flock on a sidecar `.<name>.lock` beside `path` (held while rewriting
    a packet or appending to a home log, so two writers cannot interleave)."""
    lock = path.with_name(f".{path.name}.lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock, "a")  # noqa: SIM115 - closed below, after the lock is released
    except OSError as exc:
        raise CustodyError(f"cannot lock {path} (lock file {lock}: {exc.strerror})") from None
    with fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def slug(case: str) -> str:
    cleaned = re.sub(r"[^\w.-]+", "-", case, flags=re.UNICODE).strip("-.")
    return cleaned or "case"


class HomeLog:
    """The exporter's own copy of a case's chain under CERTWATCH_HOME/custody."""

    def __init__(self, home: Path, case: str) -> None:
        self.path = home / "custody" / f"{slug(case)}.jsonl"

    def load(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        entries, problem = parse_log(self.path.read_bytes())
        if problem:
            raise CustodyError(f"custody log {self.path} is broken at line {problem.line}: "
                               f"{problem.message}; restore it from a packet of this case")
        return entries

    def append(self, known: list[dict[str, Any]], entries: list[dict[str, Any]]) -> None:
        """Write `entries` after `known` (what load() returned); append-only on disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with locked(self.path):
            current = self.load()
            if current != known[:len(current)]:
                raise CustodyError(f"custody log {self.path} changed while writing; retry")
            missing = known[len(current):] + entries
            with open(self.path, "ab") as fh:
                fh.write(serialise(missing))
                fh.flush()
                os.fsync(fh.fileno())

"""`certwatch evidence verify`: every hash, both signatures, the timestamp token, the custody
chain and the WACZ metadata; the first failure names the member (and line) at fault."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.evidence import custody, layout, signing, timestamp
from reports.evidence.errors import NotAPacket, TimestampError
from reports.evidence.timefmt import shanghai, utc_z
from reports.evidence.zipio import MemberError, read_zip

REQUIRED = (layout.MANIFEST_JSON, layout.MANIFEST, layout.CUSTODY)


@dataclass
class Verdict:
    ok: bool
    failure: str | None = None
    member: str | None = None
    summary: list[str] = field(default_factory=list)


class _Fail(Exception):
    def __init__(self, member: str, message: str) -> None:
        super().__init__(message)
        self.member = member


def verify_packet(path: Path, *, tsa_ca: bytes | None = None,
                  home: Path | None = None) -> Verdict:
    """NotAPacket (exit 2) for something that is not a packet; otherwise a Verdict."""
    if not path.is_file():
        raise NotAPacket(f"{path}: no such file")
    try:
        members = read_zip(path)
    except MemberError as exc:
        return Verdict(False, str(exc), exc.name)
    verdict = verify_members(members, tsa_ca=tsa_ca, name=str(path))
    if verdict.ok and home is not None:
        note = compare_home_log(members, home)
        if note:
            verdict.summary.append(note)
    return verdict


def verify_members(members: dict[str, bytes], *, tsa_ca: bytes | None = None,
                   name: str = "packet") -> Verdict:
    """The checks on a packet's members as read from its ZIP."""
    missing_core = [m for m in REQUIRED if m not in members]
    if len(missing_core) == len(REQUIRED):
        raise NotAPacket(f"{name}: not a certwatch evidence packet (no {layout.MANIFEST_JSON}, "
                         f"{layout.MANIFEST} or {layout.CUSTODY})")
    summary: list[str] = []
    try:
        for core in missing_core:
            raise _Fail(core, f"{core}: missing")
        _check(members, summary, tsa_ca)
    except _Fail as fail:
        return Verdict(False, str(fail), fail.member, summary)
    return Verdict(True, None, None, summary)


def _check(members: dict[str, bytes], summary: list[str], tsa_ca: bytes | None) -> None:
    entries = _custody(members)
    last = entries[-1]
    # Files written after the manifest: the custody log's latest entry holds their hashes.
    for name, digest in last.get("after", {}).items():
        _hash(members, name, digest, "custody/custody.jsonl (latest entry)")
    listed = _sha256sum(members, layout.MANIFEST)
    for name, digest in listed.items():
        _hash(members, name, digest, layout.MANIFEST)
    sealed = _sha256sum(members, layout.SEAL) if layout.SEAL in members else None
    if sealed is None:
        raise _Fail(layout.SEAL, f"{layout.SEAL}: missing")
    for name, digest in sealed.items():
        _hash(members, name, digest, layout.SEAL)
    expected = set(listed) | set(sealed) | {layout.SEAL, layout.SEAL_SIGNATURE, *layout.MUTABLE}
    for name in sorted(members):
        if name not in expected:
            raise _Fail(name, f"{name}: added (not in the manifest or the seal)")
    for name in sorted(expected - set(members)):
        raise _Fail(name, f"{name}: missing")
    manifest = _manifest_json(members, listed)
    pem = members.get(layout.PUBLIC_KEY)
    if pem is None:
        raise _Fail(layout.PUBLIC_KEY, f"{layout.PUBLIC_KEY}: missing")
    fingerprint = signing.fingerprint(pem)
    if fingerprint != manifest["signing_key"]["fingerprint_sha256"]:
        raise _Fail(layout.PUBLIC_KEY, f"{layout.PUBLIC_KEY}: fingerprint differs from the "
                                       "one in the manifest")
    for data_name, sig_name in ((layout.MANIFEST, layout.SIGNATURE),
                                (layout.SEAL, layout.SEAL_SIGNATURE)):
        problem = signing.check_signature(pem, members[data_name], members[sig_name])
        if problem:
            raise _Fail(sig_name, f"{sig_name}: {problem} (over {data_name})")
    summary.append(f"case: {manifest['case']} — {len(manifest['items'])} item(s): "
                   f"{', '.join(manifest['items'])}")
    summary.append(f"manifest: {len(listed)} file(s) hash-checked; SHA-256 "
                   f"{layout.sha256(members[layout.MANIFEST])}")
    summary.append(f"signature: Ed25519 good (key fingerprint {fingerprint})")
    _timestamp(members, summary, tsa_ca)
    body, digest = layout.datapackage(members, manifest)
    if members.get(layout.DATAPACKAGE) != body:
        raise _Fail(layout.DATAPACKAGE, f"{layout.DATAPACKAGE}: does not match the packet's "
                                        "files and manifest")
    if members.get(layout.DATAPACKAGE_DIGEST) != digest:
        raise _Fail(layout.DATAPACKAGE_DIGEST, f"{layout.DATAPACKAGE_DIGEST}: does not match "
                                               f"{layout.DATAPACKAGE}")
    summary.append(f"custody: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, "
                   f"chain intact; latest: {last.get('action')} by {last.get('who')}"
                   + (f" to {last['to']}" if last.get("to") else "") + f" at {last.get('at')}")
    summary.append(f"WACZ metadata: {len(members)} member(s) match datapackage.json")


def compare_home_log(members: dict[str, bytes], home: Path) -> str | None:
    """How the packet's custody chain relates to this machine's copy of the case's chain
    (informational: a handover elsewhere followed by a re-export here forks it legitimately)."""
    try:
        case = json.loads(members[layout.MANIFEST_JSON])["case"]
        packet, _ = custody.parse_log(members[layout.CUSTODY])
        log = custody.HomeLog(home, case)
        known = log.load()
    except Exception:  # the packet was already judged; this is only a note
        return None
    if not known:
        return None
    if packet[:len(known)] == known:
        extra = len(packet) - len(known)
        return (f"custody: matches this machine's copy {log.path}"
                + (f" plus {extra} later entr{'y' if extra == 1 else 'ies'}" if extra else ""))
    if known[:len(packet)] == packet:
        return (f"custody: this machine's copy {log.path} has {len(known) - len(packet)} "
                "later entries (a re-export or handover since this packet was written)")
    line = next(n for n, (a, b) in enumerate(zip(packet, known, strict=False), 1) if a != b)
    return (f"note: custody line {line} differs from this machine's copy {log.path} "
            "(a fork: check whether this packet's log was rewritten)")


def _custody(members: dict[str, bytes]) -> list[dict[str, Any]]:
    entries, problem = custody.parse_log(members[layout.CUSTODY])
    if problem:
        raise _Fail(layout.CUSTODY, f"{layout.CUSTODY} line {problem.line}: {problem.message}")
    if not entries:
        raise _Fail(layout.CUSTODY, f"{layout.CUSTODY}: empty")
    for n, (earlier, later) in enumerate(zip(entries, entries[1:], strict=False), 2):
        if later.get("action") == "handover" and later.get("before") != earlier.get("after"):
            raise _Fail(layout.CUSTODY, f"{layout.CUSTODY} line {n}: handover 'before' "
                                        "hashes differ from the entry before it")
    return entries


def _hash(members: dict[str, bytes], name: str, digest: str, where: str) -> None:
    if name not in members:
        raise _Fail(name, f"{name}: missing (listed in {where})")
    if layout.sha256(members[name]) != digest:
        raise _Fail(name, f"{name}: altered (SHA-256 differs from {where})")


def _sha256sum(members: dict[str, bytes], name: str) -> dict[str, str]:
    try:
        return layout.parse_sha256sum(members[name])
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Fail(name, f"{name}: malformed ({exc})") from None


def _manifest_json(members: dict[str, bytes], listed: dict[str, str]) -> dict[str, Any]:
    name = layout.MANIFEST_JSON
    try:
        manifest = json.loads(members[name])
        files = {f["path"]: f for f in manifest["files"]}
        manifest["case"], manifest["created"], manifest["items"]  # noqa: B018 - must exist
        manifest["signing_key"]["fingerprint_sha256"]  # noqa: B018
    except (ValueError, KeyError, TypeError) as exc:
        raise _Fail(name, f"{name}: malformed ({exc})") from None
    if set(files) | {name} != set(listed):
        raise _Fail(name, f"{name}: lists different files from {layout.MANIFEST}")
    for path, entry in files.items():
        if entry.get("sha256") != listed[path] or entry.get("size") != len(members[path]):
            raise _Fail(name, f"{name}: entry for {path} disagrees with the file")
    return manifest


def _timestamp(members: dict[str, bytes], summary: list[str], tsa_ca: bytes | None) -> None:
    reply = members.get(layout.TIMESTAMP)
    if reply is None:
        summary.append("timestamp: none (CERTWATCH_TSA_URL was not set at export)")
        return
    ca = tsa_ca or members.get(layout.TSA_CA)
    try:
        info = timestamp.check_token(reply, members[layout.MANIFEST], ca_pem=ca)
    except TimestampError as exc:
        raise _Fail(layout.TIMESTAMP, f"{layout.TIMESTAMP}: {exc}") from None
    trust = ("TSA certificate chains to " + ("CERTWATCH_TSA_CA" if tsa_ca else
                                              f"{layout.TSA_CA} (copy inside the packet)")
             if info.ca_checked else "no TSA CA given, chain not checked")
    summary.append(f"timestamp: RFC 3161 over the manifest at {utc_z(info.gen_time)} "
                   f"({shanghai(info.gen_time):%Y-%m-%d %H:%M:%S} Asia/Shanghai) by "
                   f"{info.tsa}, serial {info.serial}; {trust}")

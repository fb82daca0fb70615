"""`certwatch evidence verify`: every hash, both signatures, the timestamp token, the custody
chain and the WACZ metadata; the first failure names the member (and line) at fault."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.evidence import custody, layout, signing, timestamp
from reports.evidence.errors import CustodyError, NotAPacket, TimestampError
from reports.evidence.timefmt import shanghai, utc_z
from reports.evidence.zipio import MemberError, read_zip

# Any one of these marks a certwatch packet; all must be present in an intact one.
CORE = (layout.MANIFEST_JSON, layout.MANIFEST, layout.CUSTODY)
REQUIRED = (*CORE, layout.SIGNATURE, layout.PUBLIC_KEY)
UNCHECKED_SIGNER = ("签名者未核对 / signer not checked against a trusted fingerprint "
                    "(pass --key-fingerprint)")


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


def verify_packet(path: Path, *, tsa_ca: bytes | None = None, home: Path | None = None,
                  trusted: frozenset[str] | None = None) -> Verdict:
    """NotAPacket (exit 2) for something that is not a packet; otherwise a Verdict."""
    if not path.is_file():
        raise NotAPacket(f"{path}: no such file")
    try:
        members = read_zip(path)
    except MemberError as exc:
        return Verdict(False, str(exc), exc.name)
    return verify_read(members, tsa_ca=tsa_ca, home=home, trusted=trusted, name=str(path))


def verify_read(members: dict[str, bytes], *, tsa_ca: bytes | None, home: Path | None,
                trusted: frozenset[str] | None, name: str) -> Verdict:
    """verify_members plus the comparison with this machine's copy of the case's log."""
    verdict = verify_members(members, tsa_ca=tsa_ca, name=name, trusted=trusted)
    if verdict.ok and home is not None:
        note, failure = compare_home_log(members, home)
        if failure:
            return Verdict(False, failure, layout.CUSTODY, verdict.summary)
        if note:
            verdict.summary.append(note)
    return verdict


def verify_members(members: dict[str, bytes], *, tsa_ca: bytes | None = None,
                   name: str = "packet", trusted: frozenset[str] | None = None) -> Verdict:
    """The checks on a packet's members as read from its ZIP. `trusted`: the fingerprints
    a packet may be signed with (None: the signer is reported, not checked)."""
    if not any(m in members for m in CORE):
        raise NotAPacket(f"{name}: not a certwatch evidence packet (no {layout.MANIFEST_JSON}, "
                         f"{layout.MANIFEST} or {layout.CUSTODY})")
    summary: list[str] = []
    try:
        for core in REQUIRED:
            if core not in members:
                raise _Fail(core, f"{core}: missing")
        _check(members, summary, tsa_ca, trusted)
    except _Fail as fail:
        return Verdict(False, str(fail), fail.member, summary)
    return Verdict(True, None, None, summary)


def _check(members: dict[str, bytes], summary: list[str], tsa_ca: bytes | None,
           trusted: frozenset[str] | None) -> None:
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
    pem = members[layout.PUBLIC_KEY]
    try:
        fingerprint = signing.fingerprint(pem)
    except ValueError as exc:
        raise _Fail(layout.PUBLIC_KEY, f"{layout.PUBLIC_KEY}: {exc}") from None
    if fingerprint != manifest["signing_key"]["fingerprint_sha256"]:
        raise _Fail(layout.PUBLIC_KEY, f"{layout.PUBLIC_KEY}: fingerprint differs from the "
                                       "one in the manifest")
    for data_name, sig_name in ((layout.MANIFEST, layout.SIGNATURE),
                                (layout.SEAL, layout.SEAL_SIGNATURE)):
        problem = signing.check_signature(pem, members[data_name], members[sig_name])
        if problem:
            raise _Fail(sig_name, f"{sig_name}: {problem} (over {data_name})")
    # The key inside the packet proves only that the packet is self-consistent: whoever
    # re-signs a tampered packet ships their own key. Only a fingerprint from outside it
    # (the exporter's letter, or this installation's own key) identifies the signer.
    if trusted is not None and fingerprint not in trusted:
        raise _Fail(layout.SIGNATURE, f"{layout.SIGNATURE}: signed by key {fingerprint}, "
                                      f"not the trusted key {', '.join(sorted(trusted))}")
    problem, signers = custody.check_signatures(entries, trusted)
    if problem:
        raise _Fail(layout.CUSTODY, f"{layout.CUSTODY} line {problem.line}: {problem.message}")
    summary.append(f"case: {manifest['case']} — {len(manifest['items'])} item(s): "
                   f"{', '.join(manifest['items'])}")
    summary.append(f"manifest: {len(listed)} file(s) hash-checked; SHA-256 "
                   f"{layout.sha256(members[layout.MANIFEST])}")
    summary.append(f"signature: Ed25519 good (key fingerprint {fingerprint}); "
                   + ("signer matches the trusted fingerprint" if trusted is not None
                      else UNCHECKED_SIGNER))
    _timestamp(members, summary, tsa_ca)
    body, digest = layout.datapackage(members, manifest)
    if members.get(layout.DATAPACKAGE) != body:
        raise _Fail(layout.DATAPACKAGE, f"{layout.DATAPACKAGE}: does not match the packet's "
                                        "files and manifest")
    if members.get(layout.DATAPACKAGE_DIGEST) != digest:
        raise _Fail(layout.DATAPACKAGE_DIGEST, f"{layout.DATAPACKAGE_DIGEST}: does not match "
                                               f"{layout.DATAPACKAGE}")
    summary.append(f"custody: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, "
                   f"chain intact, signed by {len(signers)} key(s); "
                   f"latest: {last.get('action')} by {last.get('who')}"
                   + (f" to {last['to']}" if last.get("to") else "") + f" at {last.get('at')}")
    summary.append(f"WACZ metadata: {len(members)} member(s) match datapackage.json")


def compare_home_log(members: dict[str, bytes], home: Path) -> tuple[str | None, str | None]:
    """(note, failure) comparing the packet's custody chain with this machine's copy of the
    case's chain. Up to and including the packet's own export the two must agree; after it
    each may go on alone (re-exports here, handovers of the packet elsewhere), but an entry
    this machine recorded about this packet must be in it: otherwise it was dropped."""
    case = json.loads(members[layout.MANIFEST_JSON])["case"]
    packet, _ = custody.parse_log(members[layout.CUSTODY])
    log = custody.HomeLog(home, case)
    try:
        known = log.load()
    except CustodyError as exc:
        return f"note: {exc}", None
    if not known:
        return None, None
    common = next((n for n, (a, b) in enumerate(zip(packet, known, strict=False)) if a != b),
                  min(len(packet), len(known)))
    own = _packet_name(packet)
    exports = [n for n, e in enumerate(packet) if e.get("action") in ("export", "re-export")]
    if exports and common <= exports[-1]:
        return None, (f"{layout.CUSTODY} line {common + 1}: differs from this machine's copy "
                      f"{log.path} (the packet's log was rewritten)")
    for n, entry in enumerate(known[common:], common + 1):
        if entry.get("packet") == own:
            return None, (f"{layout.CUSTODY}: entries missing: this machine's copy {log.path} "
                          f"records line {n} ({entry.get('action')}) for this packet {own}")
    if common == len(known):
        extra = len(packet) - len(known)
        return (f"custody: matches this machine's copy {log.path}"
                + (f" plus {extra} later entr{'y' if extra == 1 else 'ies'}" if extra else "")
                ), None
    return (f"custody: this machine's copy {log.path} has {len(known) - common} later entries "
            "(re-exports since this packet was written)"), None


def _packet_name(entries: list[dict[str, Any]]) -> str | None:
    exports = [e for e in entries if e.get("action") in ("export", "re-export")]
    return exports[-1].get("packet") if exports else None


def _custody(members: dict[str, bytes]) -> list[dict[str, Any]]:
    entries, problem = custody.parse_log(members[layout.CUSTODY])
    if problem:
        raise _Fail(layout.CUSTODY, f"{layout.CUSTODY} line {problem.line}: {problem.message}")
    if not entries:
        raise _Fail(layout.CUSTODY, f"{layout.CUSTODY}: empty")
    for n, entry in enumerate(entries, 1):
        for key in ("before", "after"):
            value = entry.get(key)
            if not isinstance(value, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise _Fail(layout.CUSTODY, f"{layout.CUSTODY} line {n}: {key} is not a "
                                            "map of file to SHA-256")
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
        if not isinstance(manifest, dict):
            raise TypeError("not a JSON object")
        files = {f["path"]: f for f in manifest["files"]}
        if not all(isinstance(p, str) and isinstance(f, dict) for p, f in files.items()):
            raise TypeError("files: entries must be objects with a path")
        for field_name in ("case", "created", "software"):
            if not isinstance(manifest[field_name], str):
                raise TypeError(f"{field_name} is not a string")
        if not isinstance(manifest["items"], list) or not all(
                isinstance(i, str) for i in manifest["items"]):
            raise TypeError("items is not a list of IDs")
        if not isinstance(manifest["signing_key"]["fingerprint_sha256"], str):
            raise TypeError("signing_key.fingerprint_sha256 is not a string")
        if not isinstance(manifest.get("main_page") or {}, dict):
            raise TypeError("main_page is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise _Fail(name, f"{name}: malformed ({type(exc).__name__}: {exc})") from None
    if set(files) | {name} != set(listed) or not all(p in members for p in files):
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
    # Never the packet's own tsa-ca.pem: a forger would ship a CA of their own.
    try:
        info = timestamp.check_token(reply, members[layout.MANIFEST], ca_pem=tsa_ca)
    except TimestampError as exc:
        raise _Fail(layout.TIMESTAMP, f"{layout.TIMESTAMP}: {exc}") from None
    trust = ("TSA certificate chains to CERTWATCH_TSA_CA" if info.ca_checked else
             "timestamp chain not checked (set CERTWATCH_TSA_CA to the authority's CA)")
    summary.append(f"timestamp: RFC 3161 over the manifest at {utc_z(info.gen_time)} "
                   f"({shanghai(info.gen_time):%Y-%m-%d %H:%M:%S} Asia/Shanghai) by "
                   f"{info.tsa}, serial {info.serial}; {trust}")

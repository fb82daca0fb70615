"""`certwatch evidence handover`: record that a packet passed to someone else. The packet
is read once and those same bytes are verified and rewritten (custody log and WACZ
metadata only, atomically, under a lock on the packet), and the exporter's copy of the
chain under CERTWATCH_HOME continues too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reports.evidence import custody, layout, signing
from reports.evidence.errors import CustodyError, EvidenceError
from reports.evidence.verify import verify_read
from reports.evidence.zipio import MemberError, read_zip, replace_atomically, write_zip
from store.clock import utcnow


@dataclass(frozen=True)
class HandoverResult:
    path: Path
    entries: int
    entry: dict


def hand_over(path: Path, home: Path, *, to: str, operator: str, note: str = "",
              tsa_ca: bytes | None = None,
              trusted: frozenset[str] | None = None) -> HandoverResult:
    if not to.strip():
        raise EvidenceError("--to: name the person or agency receiving the packet")
    if not path.is_file():
        raise EvidenceError(f"{path}: no such file")
    key = signing.load_or_create_key(home)
    with custody.locked(path):
        try:
            members = read_zip(path)
        except MemberError as exc:
            raise CustodyError(f"{path} fails verification, not handing it over: "
                               f"{exc}") from None
        verdict = verify_read(members, tsa_ca=tsa_ca, home=home, trusted=trusted,
                              name=str(path))
        if not verdict.ok:
            raise CustodyError(f"{path} fails verification, not handing it over: "
                               f"{verdict.failure}")
        entries, _ = custody.parse_log(members[layout.CUSTODY])
        manifest = json.loads(members[layout.MANIFEST_JSON])
        case = manifest["case"]
        now = utcnow()
        current = entries[-1]["after"]
        exports = [e for e in entries if e.get("action") in ("export", "re-export")]
        name = exports[-1]["packet"] if exports else path.name  # its name at export
        entry = custody.new_entry(entries, key=key, action="handover", who=operator,
                                  to=to.strip(), note=note, case=case, packet=name,
                                  before=current, after=current, at=now)
        chain = [*entries, entry]
        members[layout.CUSTODY] = custody.serialise(chain)
        members[layout.DATAPACKAGE], members[layout.DATAPACKAGE_DIGEST] = layout.datapackage(
            members, manifest)
        replace_atomically(path, lambda tmp: write_zip(tmp, members, now))
    _continue_home_log(home, case, entries, entry)
    return HandoverResult(path=path, entries=len(chain), entry=entry)


def _continue_home_log(home: Path, case: str, entries: list[dict], entry: dict) -> None:
    """Keep the home copy in step when it is this packet's chain (or does not exist yet)."""
    log = custody.HomeLog(home, case)
    known = log.load()
    if known == entries[:len(known)]:
        log.append(known, [*entries[len(known):], entry])

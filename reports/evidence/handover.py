"""`certwatch evidence handover`: record that a packet passed to someone else. The packet
is verified first; only its custody log and WACZ metadata are rewritten (atomically), and
the exporter's copy of the chain under CERTWATCH_HOME continues too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reports.evidence import custody, layout
from reports.evidence.errors import CustodyError, EvidenceError
from reports.evidence.verify import verify_packet
from reports.evidence.zipio import read_zip, replace_atomically, write_zip
from store.clock import utcnow


@dataclass(frozen=True)
class HandoverResult:
    path: Path
    entries: int
    entry: dict


def hand_over(path: Path, home: Path, *, to: str, operator: str, note: str = "",
              tsa_ca: bytes | None = None) -> HandoverResult:
    if not to.strip():
        raise EvidenceError("--to: name the person or agency receiving the packet")
    verdict = verify_packet(path, tsa_ca=tsa_ca)
    if not verdict.ok:
        raise CustodyError(f"{path} fails verification, not handing it over: {verdict.failure}")
    members = read_zip(path)
    entries, _ = custody.parse_log(members[layout.CUSTODY])
    manifest = json.loads(members[layout.MANIFEST_JSON])
    case = manifest["case"]
    now = utcnow()
    current = entries[-1]["after"]
    entry = custody.new_entry(entries, action="handover", who=operator, to=to.strip(),
                              note=note, case=case, packet=path.name, before=current,
                              after=current, at=now)
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

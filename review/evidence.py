"""Evidence packets from the review UI: confirmed cases only, built by `reports.evidence`."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.review_models import AuditEntry, ReviewCase

if TYPE_CHECKING:
    from reports.evidence.packet import ExportResult

# Whatever name the exporter chose (it may carry the export time): one plain file name.
PACKET_NAME = re.compile(r"^(?!\.)[^/\\\x00-\x1f]{1,196}\.wacz$")


def exportable(case: ReviewCase | None) -> bool:
    """Only a confirmed fraud case goes to another agency."""
    return case is not None and bool(case.category) and case.status in ("confirmed", "closed")


def packets_of(session: Session, kind: str, item_id: int) -> list[dict]:
    """Packets exported for this item, newest first (from the audit log), each under the
    file name the exporter returned and that file's SHA-256 at export time."""
    rows = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "evidence.export", AuditEntry.object_kind == kind,
        AuditEntry.object_id == str(item_id)).order_by(AuditEntry.id.desc())).all()
    return [{"name": (r.after or {}).get("packet"), "at": r.at, "by": r.actor,
             "sha256": (r.after or {}).get("file_sha256"),
             "manifest_sha256": (r.after or {}).get("manifest_sha256")} for r in rows]


def recorded_sha256(session: Session, name: str) -> str | None:
    """The packet file's SHA-256 recorded when the UI exported it under `name` (the newest
    export of that name); "" for an export recorded before file hashes were; None: the UI
    never exported it."""
    rows = session.scalars(select(AuditEntry.after).where(
        AuditEntry.action == "evidence.export").order_by(AuditEntry.id.desc()))
    return next(((a or {}).get("file_sha256") or "" for a in rows
                 if (a or {}).get("packet") == name), None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packets_dir(home: Path) -> Path:
    return home / "reports" / "evidence"


def evidence_id(session: Session, kind: str, item_id: int) -> str | None:
    if kind == "listing":
        return f"listing:{item_id}"
    if kind == "site":
        from store.lookalike_models import LookalikeCandidate

        domain = session.scalar(select(LookalikeCandidate.domain)
                                .where(LookalikeCandidate.id == item_id))
        return f"site:{domain}" if domain else None
    return None


def export_case(session: Session, home: Path, kind: str, item_id: int,
                operator: str) -> ExportResult:
    """Build the packet (slow: PDF cover, signatures, optional timestamp)."""
    from reports.evidence.packet import ExportOptions, export_packet
    from reports.evidence.timestamp import tsa_settings_from_env

    ident = evidence_id(session, kind, item_id)
    tsa_url, tsa_ca = tsa_settings_from_env()
    return export_packet(session.get_bind(), home, [ident], ExportOptions(
        out_dir=packets_dir(home), case=f"审核案件-{kind}-{item_id}", operator=operator,
        tsa_url=tsa_url, tsa_ca=tsa_ca))

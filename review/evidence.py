"""Evidence packets from the review UI: confirmed cases only, built by `reports.evidence`."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.review_models import ReviewCase

PACKET_NAME = re.compile(r"^[\w.\-]+\.wacz$")


def exportable(case: ReviewCase | None) -> bool:
    """Only a confirmed fraud case goes to another agency."""
    return case is not None and bool(case.category) and case.status in ("confirmed", "closed")


def packets_of(session: Session, kind: str, item_id: int) -> list[dict]:
    """Packets exported for this item, newest first (from the audit log)."""
    from store.review_models import AuditEntry

    rows = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "evidence.export", AuditEntry.object_kind == kind,
        AuditEntry.object_id == str(item_id)).order_by(AuditEntry.id.desc())).all()
    return [{"name": (r.after or {}).get("packet"), "at": r.at, "by": r.actor,
             "sha256": (r.after or {}).get("manifest_sha256")} for r in rows]


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


def export_case(session: Session, home: Path, kind: str, item_id: int, operator: str):  # noqa: ANN201
    """Build the packet (slow: PDF cover, signatures, optional timestamp)."""
    from certwatch.evidence_cli import _tsa_settings
    from reports.evidence.packet import ExportOptions, export_packet

    ident = evidence_id(session, kind, item_id)
    tsa_url, tsa_ca = _tsa_settings()
    return export_packet(session.get_bind(), home, [ident], ExportOptions(
        out_dir=packets_dir(home), case=f"审核案件-{kind}-{item_id}", operator=operator,
        tsa_url=tsa_url, tsa_ca=tsa_ca))

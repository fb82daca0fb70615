"""The audit log, newest first, filterable by object and actor; the chain's state on top."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from review.deps import Db, User, clean, render
from store.review_models import AuditEntry

router = APIRouter(tags=["audit"])
PAGE = 100
# Object kinds the filter offers (the log also names users, packets and summaries).
KINDS = ("listing", "site", "user", "summary", "packet")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: Db, user: User,
               object_kind: Annotated[str, Query(max_length=20)] = "",
               object_id: Annotated[str, Query(max_length=64)] = "",
               actor: Annotated[str, Query(max_length=100)] = "",
               action: Annotated[str, Query(max_length=40)] = "",
               page: Annotated[int, Query(ge=1, le=100000)] = 1) -> Response:
    stmt = select(AuditEntry)
    object_id, actor, action = clean(object_id, 64), clean(actor, 100), clean(action, 40)
    object_kind = clean(object_kind, 20)
    # Listing #N and site #N share the number: the kind tells them apart.
    if object_kind:
        stmt = stmt.where(AuditEntry.object_kind == object_kind)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    total = db.scalar(select(func.count()).select_from(stmt.subquery()))
    entries = db.scalars(stmt.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE)
                         .limit(PAGE)).all()
    return render(request, "audit.html",
                  {"entries": entries, "total": total, "page": page,
                   "pages": max(1, -(-total // PAGE)), "object_kind": object_kind,
                   "object_id": object_id, "actor": actor, "action": action,
                   "kinds": KINDS}, user=user)

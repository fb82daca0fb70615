"""Analysts' decisions on queue items: role checks, case state, audit entry, training label.

A decision on a listing is also a row in the classifier's `reviews` table, whose latest
row per listing `certwatch train --with-reviews` learns from: a confirmed category is that
label, a dismissed false positive is `benign`, and an open question (needs more information,
escalated, reopened) is recorded under its own name, which training skips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from review import audit
from review.errors import InvalidDecision, NotAllowed
from review.users import CurrentUser
from store.clock import utcnow
from store.models import Review
from store.review_models import AuditEntry, ReviewCase

CATEGORIES = ("guazheng", "fake_cert", "exam_fraud")
ACTIONS = ("confirm", "dismiss", "needs_info", "escalate", "close", "reopen")
SUPERVISOR_ACTIONS = {"close", "reopen"}
# Statuses an analyst may still change; escalated and closed cases are the supervisor's.
ANALYST_OPEN = {"pending", "needs_info", "confirmed", "dismissed"}
MAX_NOTE = 4000


@dataclass(frozen=True)
class Decision:
    action: str
    category: str | None = None
    note: str = ""


def _outcome(current: str, decision: Decision) -> tuple[str, str | None]:
    """(new status, category) or InvalidDecision."""
    action, category = decision.action, decision.category or None
    if action == "confirm":
        if category not in CATEGORIES:
            raise InvalidDecision("确认时必须选择类别（挂证、假证、考试作弊）")
        return "confirmed", category
    if category is not None and action not in ("close",):
        raise InvalidDecision("只有“确认”和“结案”需要类别")
    if action == "dismiss":
        return "dismissed", None
    if action == "needs_info":
        return "needs_info", None
    if action == "escalate":
        return "escalated", None
    if action == "close":
        if current == "closed":
            raise InvalidDecision("该案件已结案")
        if category not in (*CATEGORIES, "benign"):
            raise InvalidDecision("结案时必须选择结论：类别或误报")
        return "closed", None if category == "benign" else category
    if action == "reopen":
        if current != "closed":
            raise InvalidDecision("只有已结案的案件可以重新打开")
        return "pending", None
    raise InvalidDecision(f"未知操作：{action}")


def check_role(user: CurrentUser, current: str, action: str) -> None:
    if user.at_least("supervisor"):
        return
    if action in SUPERVISOR_ACTIONS:
        raise NotAllowed("该操作需要主管权限")
    if current not in ANALYST_OPEN:
        raise NotAllowed("已上报主管或已结案的案件只能由主管处理")


def _training_label(status: str, category: str | None, action: str) -> str:
    if status in ("confirmed", "closed") and category:
        return category
    if status in ("dismissed", "closed"):
        return "benign"
    return action


def decide(session: Session, user: CurrentUser, kind: str, item_ids: Sequence[int],
           decision: Decision, client: str = "") -> list[ReviewCase]:
    """Apply one decision to every item, all or nothing (the caller commits)."""
    if decision.action not in ACTIONS:
        raise InvalidDecision(f"未知操作：{decision.action}")
    if not item_ids:
        raise InvalidDecision("没有选择任何条目")
    note = decision.note.strip()[:MAX_NOTE]
    audit.lock_chain(session)  # before reading the cases: no decision on a stale state
    existing = {c.item_id: c for c in session.scalars(
        select(ReviewCase).where(ReviewCase.kind == kind, ReviewCase.item_id.in_(item_ids)))}
    _check_items(session, kind, item_ids)
    now, changed = utcnow(), []
    for item_id in dict.fromkeys(item_ids):
        case = existing.get(item_id)
        current = case.status if case else "pending"
        check_role(user, current, decision.action)
        status, category = _outcome(current, decision)
        before = _state(case)
        if case is None:
            case = ReviewCase(kind=kind, item_id=item_id)
            session.add(case)
        case.status, case.category, case.note = status, category, note
        case.updated_by, case.updated_at = user.name, now
        after = _state(case)
        if kind == "listing":
            session.add(Review(listing_id=item_id, analyst=user.name, note=note, decided_at=now,
                               label=_training_label(status, category, decision.action)))
        audit.append(session, actor=user.name, action=f"decision.{decision.action}",
                     object_kind=kind, object_id=item_id, before=before, after=after,
                     client=client)
        changed.append(case)
    session.flush()
    return changed


def _state(case: ReviewCase | None) -> dict:
    if case is None:
        return {"status": "pending", "category": None, "note": ""}
    return {"status": case.status, "category": case.category, "note": case.note}


def _check_items(session: Session, kind: str, item_ids: Sequence[int]) -> None:
    from review.items import item_table

    table_id = item_table(kind)
    if table_id is None:
        raise InvalidDecision(f"未知条目类型：{kind}")
    found = set(session.scalars(select(table_id).where(table_id.in_(item_ids))))
    missing = sorted(set(item_ids) - found)
    if missing:
        raise InvalidDecision(f"条目不存在：{', '.join(map(str, missing[:10]))}")



def decision_history(session: Session, kind: str, item_id: int) -> list[AuditEntry]:
    """Every decision on one item, newest first, read from the audit log: the case row keeps
    only the latest note, the log keeps each decision's own note."""
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.object_id == str(item_id),
                                 AuditEntry.object_kind == kind,
                                 AuditEntry.action.like("decision.%"))
        .order_by(AuditEntry.id.desc())))

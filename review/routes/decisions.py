"""Decisions: one item from its page or many from the queue, in one audited transaction."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review.decisions import Decision, decide
from review.deps import Db, Forbidden, User, clean, client_of, render, require_csrf, safe_next
from review.errors import InvalidDecision, NotAllowed

router = APIRouter(tags=["decisions"])

Action = Literal["confirm", "dismiss", "needs_info", "escalate", "close", "reopen"]
Category = Literal["", "guazheng", "fake_cert", "exam_fraud", "benign"]
Kind = Literal["listing", "site"]
MAX_BULK = 500


@router.post("/decisions")
def post_decision(request: Request, db: Db, user: User,
                  action: Annotated[Action, Form()],
                  ids: Annotated[list[int] | None, Form()] = None,
                  kind: Annotated[Kind, Form()] = "listing",
                  category: Annotated[Category, Form()] = "",
                  note: Annotated[str, Form(max_length=4000)] = "",
                  csrf_token: Annotated[str, Form(max_length=200)] = "",
                  next: Annotated[str, Form(max_length=500)] = "/queue") -> Response:
    require_csrf(request, user, csrf_token)
    ids = ids or []  # nothing ticked: decide() answers with a message, not a 422
    if len(ids) > MAX_BULK or any(not 1 <= i <= 2**31 - 1 for i in ids):
        return render(request, "error.html",
                      {"status": 400, "message": f"一次最多处理 {MAX_BULK} 条。"},
                      status=400, user=user)
    try:
        cases = decide(db, user, kind, ids,
                       Decision(action=action, category=category or None, note=clean(note, 4000)),
                       client=client_of(request))
    except NotAllowed as exc:
        db.rollback()
        raise Forbidden(str(exc)) from None
    except InvalidDecision as exc:
        db.rollback()
        return render(request, "error.html", {"status": 400, "message": str(exc)}, status=400,
                      user=user)
    db.commit()
    target = safe_next(next)
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}done={len(cases)}", status_code=303)

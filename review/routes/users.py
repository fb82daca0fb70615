"""Accounts, for admins: who may log in, with which role; (de)activation is audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, select

from review import audit
from review.deps import Db, Forbidden, User, client_of, render, require_csrf
from store.review_models import ReviewSession, ReviewUser

router = APIRouter(tags=["users"])


def _admin_only(user: User) -> None:
    if not user.at_least("admin"):
        raise Forbidden("只有管理员可以管理账号")


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, db: Db, user: User) -> Response:
    _admin_only(user)
    users = db.scalars(select(ReviewUser).order_by(ReviewUser.name)).all()
    return render(request, "users.html", {"users": users}, user=user)


@router.post("/users/{user_id}/active")
def set_active(request: Request, db: Db, user: User,
               user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
               active: Annotated[Literal["0", "1"], Form()],
               csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    require_csrf(request, user, csrf_token)
    _admin_only(user)
    target = db.get(ReviewUser, user_id)
    if target is None or target.id == user.id:
        return render(request, "error.html", {"status": 400, "message": "不能修改这个账号。"},
                      status=400, user=user)
    before = {"name": target.name, "active": target.active}
    target.active = active == "1"
    if not target.active:  # a deactivated account's open sessions end now
        db.execute(delete(ReviewSession).where(ReviewSession.user_id == target.id))
    audit.append(db, actor=user.name, action="user.active", object_kind="user",
                 object_id=target.name, before=before,
                 after={"name": target.name, "active": target.active},
                 client=client_of(request))
    db.commit()
    return RedirectResponse("/users", status_code=303)

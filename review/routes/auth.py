"""Log in (CSRF-protected, rate limited) and log out."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from review import audit
from review.deps import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    CsrfFailed,
    Db,
    User,
    clean,
    client_of,
    login_token,
    new_nonce,
    render,
    require_csrf,
    safe_next,
)
from review.users import authenticate, close_session, login_blocked, open_session

router = APIRouter(tags=["auth"])


def _login_form(request: Request, next_url: str, error: str = "", status: int = 200,
                name: str = "") -> Response:
    settings = request.app.state.settings
    nonce = new_nonce()
    response = render(request, "login.html",
                      {"next": safe_next(next_url), "error": error, "name": name,
                       "login_csrf": login_token(settings.secret, nonce)}, status=status)
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=settings.cookie_secure, max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request,
               next: Annotated[str, Query(max_length=500)] = "/queue") -> Response:
    return _login_form(request, next)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, db: Db, name: Annotated[str, Form(max_length=100)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          csrf_token: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=500)] = "/queue") -> Response:
    settings = request.app.state.settings
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(csrf_token.encode(),
                                            login_token(settings.secret, nonce).encode()):
        raise CsrfFailed()
    name, client = clean(name, 100).strip(), client_of(request)
    if login_blocked(db, settings, name, client):
        audit.append(db, actor=name or "?", action="login.blocked", object_kind="user",
                     object_id=name, client=client)
        db.commit()
        return _login_form(request, next, "登录失败次数过多，请稍后再试（15 分钟）。", 429, name)
    user = authenticate(db, name, clean(password, 1000), client)
    if user is None:
        audit.append(db, actor=name or "?", action="login.failed", object_kind="user",
                     object_id=name, client=client)
        db.commit()
        return _login_form(request, next, "用户名或密码错误。", 401, name)
    token = open_session(db, user, settings)
    audit.append(db, actor=user.name, action="login", object_kind="user", object_id=user.name,
                 client=client)
    db.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.cookie_secure,
                        max_age=int(settings.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, db: Db, user: User,
           csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    require_csrf(request, user, csrf_token)
    close_session(db, user.session_id)
    audit.append(db, actor=user.name, action="logout", object_kind="user",
                 object_id=user.name, client=client_of(request))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response

"""Request dependencies: database session, the logged-in user, CSRF checks, templates."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from review.users import CurrentUser, session_user

T = TypeVar("T")
SESSION_COOKIE = "cw_session"
LOGIN_COOKIE = "cw_login"


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form."""

    def __init__(self, next_url: str = "/queue") -> None:
        self.next_url = next_url


class CsrfFailed(Exception):
    """A state-changing request without the right CSRF token (HTTP 403)."""


class PageError(Exception):
    """Answer with the error page: bad input the schema lets through, a missing item."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def found(value: T | None, message: str) -> T:
    """The item, or the 404 page saying `message`."""
    if value is None:
        raise PageError(404, message)
    return value


class Forbidden(Exception):
    """The user's role may not do this (HTTP 403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def get_db(request: Request) -> Iterator[Session]:
    engine = request.app.state.engine
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            # Page queries are short: starting parallel workers mostly costs more than it
            # saves (100,000 listings, busy 2-core machine: region filter 90 → 48 ms; a
            # full-text search, which scans everything, 142 → 167 ms).
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        yield session


Db = Annotated[Session, Depends(get_db)]


def _user(request: Request, db: Db) -> CurrentUser:
    user = session_user(db, request.cookies.get(SESSION_COOKIE))
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/queue")
    request.state.user = user  # for error pages raised later in the request
    return user


User = Annotated[CurrentUser, Depends(_user)]


DATE_RE = r"^(\d{4}-\d{2}-\d{2})?$"


def parse_day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class DayRange:
    """The `date_from` / `date_to` query fields; empty means "no bound"."""

    start: date | None
    end: date | None


def _days(date_from: Annotated[str, Query(pattern=DATE_RE)] = "",
          date_to: Annotated[str, Query(pattern=DATE_RE)] = "") -> DayRange:
    try:
        return DayRange(parse_day(date_from), parse_day(date_to))
    except ValueError:  # the pattern passes 2026-02-30
        raise PageError(400, "日期无效。") from None


Days = Annotated[DayRange, Depends(_days)]


def require_csrf(request: Request, user: CurrentUser, form_token: str | None) -> None:
    """The token from the form (or the X-CSRF-Token header) must be the session's."""
    token = form_token or request.headers.get("x-csrf-token") or ""
    if not token or not hmac.compare_digest(token.encode(), user.csrf_token.encode()):
        raise CsrfFailed()


def login_token(secret: str, nonce: str) -> str:
    """The login form's CSRF token: bound to a cookie nonce by the server secret."""
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def clean(text: str | None, limit: int = 2000) -> str:
    """User text as the database accepts it: no NUL, bounded length."""
    return (text or "").replace("\x00", "")[:limit]


def safe_next(target: str | None, default: str = "/queue") -> str:
    """Only same-site relative paths, so a link cannot bounce the user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


def login_redirect(next_url: str) -> str:
    return f"/login?next={quote(next_url, safe='/')}"


def render(request: Request, name: str, context: dict[str, Any], status: int = 200,
           user: CurrentUser | None = None) -> HTMLResponse:
    ctx = {"user": user, "csrf_token": user.csrf_token if user else "", **context}
    return request.app.state.templates.TemplateResponse(request, name, ctx,
                                                        status_code=status)

"""Users, logins (rate limited) and server-side sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from review import audit
from review.errors import BadUserInput, UserExists
from review.passwords import hash_password, verify_password
from review.settings import ReviewSettings
from store.clock import as_utc, utcnow
from store.review_models import ROLES, LoginAttempt, ReviewSession, ReviewUser

NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD = 10
# Failed-login limits, as multiples of `login_max_failures` within the window: one address
# may be a whole office behind NAT, so it gets more tries than one name from it; a name
# tried from everywhere is blocked only after many more, so that nobody can lock an
# administrator out with a handful of wrong passwords from their own address.
CLIENT_FACTOR = 4
NAME_FACTOR = 10
# What each role may do on top of the roles below it.
RANK = {"analyst": 1, "supervisor": 2, "admin": 3}


@dataclass(frozen=True)
class CurrentUser:
    id: int
    name: str
    role: str
    csrf_token: str
    session_id: int

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def add_user(engine: Engine, name: str, role: str, password: str, actor: str = "cli") -> int:
    if not NAME_RE.match(name):
        raise BadUserInput(f"user name {name!r}: use 2–64 letters, digits or _ . @ -")
    if role not in ROLES:
        raise BadUserInput(f"role {role!r}: choose one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise BadUserInput(f"password too short: at least {MIN_PASSWORD} characters")
    with Session(engine) as session, session.begin():
        if session.scalar(select(ReviewUser.id).where(ReviewUser.name == name)) is not None:
            raise UserExists(f"user {name!r} already exists")
        user = ReviewUser(name=name, role=role, password_hash=hash_password(password),
                          active=True, created_at=utcnow())
        session.add(user)
        session.flush()
        audit.append(session, actor=actor, action="user.add", object_kind="user",
                     object_id=name, after={"name": name, "role": role})
        return user.id


def ensure_user(engine: Engine, name: str, role: str, password: str,
                actor: str = "cli") -> None:
    """Create the user, or give an existing one this role and password (the demo account)."""
    with Session(engine) as session, session.begin():
        user = session.scalar(select(ReviewUser).where(ReviewUser.name == name))
        if user is None:
            session.add(ReviewUser(name=name, role=role, password_hash=hash_password(password),
                                   active=True, created_at=utcnow()))
            action, before = "user.add", None
        else:
            action, before = "user.reset", {"name": name, "role": user.role}
            user.role, user.password_hash, user.active = role, hash_password(password), True
        audit.append(session, actor=actor, action=action, object_kind="user", object_id=name,
                     before=before, after={"name": name, "role": role})


def login_blocked(session: Session, settings: ReviewSettings, name: str, client: str) -> bool:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    limit = settings.login_max_failures
    for where, most in (((LoginAttempt.name == name, LoginAttempt.client == client), limit),
                        ((LoginAttempt.client == client,), limit * CLIENT_FACTOR),
                        ((LoginAttempt.name == name,), limit * NAME_FACTOR)):
        failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            *where, LoginAttempt.at >= since, LoginAttempt.ok.is_(False)))
        if failures >= most:
            return True
    return False


def authenticate(session: Session, name: str, password: str, client: str) -> ReviewUser | None:
    """Check a password and record the attempt (rate limiting counts the failures)."""
    user = session.scalar(select(ReviewUser).where(ReviewUser.name == name,
                                                   ReviewUser.active.is_(True)))
    ok = verify_password(user.password_hash if user else None, password)
    session.add(LoginAttempt(name=name[:100], client=client[:64], at=utcnow(), ok=ok))
    return user if ok else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: ReviewUser, settings: ReviewSettings) -> str:
    """A new login session; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(ReviewSession).where(ReviewSession.expires_at < now))
    session.add(ReviewSession(token_hash=_digest(token), user_id=user.id,
                              csrf_token=secrets.token_urlsafe(32), created_at=now,
                              expires_at=now + timedelta(hours=settings.session_hours)))
    return token


def session_user(session: Session, token: str | None) -> CurrentUser | None:
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(ReviewSession, ReviewUser).join(ReviewUser)
        .where(ReviewSession.token_hash == _digest(token), ReviewUser.active.is_(True))
    ).first()
    if row is None:
        return None
    sess, user = row
    if as_utc(sess.expires_at) < utcnow():
        return None
    return CurrentUser(id=user.id, name=user.name, role=user.role, csrf_token=sess.csrf_token,
                       session_id=sess.id)


def close_session(session: Session, session_id: int) -> None:
    session.execute(delete(ReviewSession).where(ReviewSession.id == session_id))

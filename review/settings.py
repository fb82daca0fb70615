"""Review UI settings, read once from the environment; unsafe secrets refuse to start."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from review.errors import ConfigError

PLACEHOLDERS = {"", "changeme", "change-me", "change_me", "secret", "password", "test",
                "placeholder", "xxx", "todo", "dev", "insecure", "certwatch"}
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class ReviewSettings:
    """`secret` signs the login form's CSRF token; `demo` allows a generated secret."""

    secret: str
    demo: bool = False
    session_hours: float = 12.0
    # Failed logins allowed per user name and per client within the window.
    login_max_failures: int = 5
    login_window_minutes: float = 15.0
    # Set behind HTTPS (CERTWATCH_COOKIE_SECURE=1); loopback demos run plain HTTP.
    cookie_secure: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, *,
                 demo: bool = False) -> ReviewSettings:
        env = os.environ if environ is None else environ
        secret = env.get("CERTWATCH_SECRET", "")
        if demo and not secret:
            secret = secrets.token_urlsafe(48)
        settings = cls(secret=secret, demo=demo,
                       cookie_secure=env.get("CERTWATCH_COOKIE_SECURE", "") in ("1", "true"))
        settings.check()
        return settings

    def check(self) -> None:
        if self.demo:
            return
        if not self.secret:
            raise ConfigError("CERTWATCH_SECRET is not set: set it to a random string of at "
                              f"least {MIN_SECRET_LENGTH} characters, e.g. "
                              "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
        if self.secret.strip().lower() in PLACEHOLDERS or len(set(self.secret)) < 8 \
                or len(self.secret) < MIN_SECRET_LENGTH:
            raise ConfigError("CERTWATCH_SECRET looks like a placeholder or is too short: use "
                              f"a random string of at least {MIN_SECRET_LENGTH} characters")

"""Errors of the review UI; each message says what to do about it."""

from __future__ import annotations

from certwatch.errors import UserError


class ReviewError(UserError):
    """Base class for review UI failures the user can act on."""


class ConfigError(ReviewError):
    """A missing or unsafe setting (e.g. a placeholder CERTWATCH_SECRET)."""


class UserExists(ReviewError):
    """`users add` for a name that is taken."""


class BadUserInput(ReviewError):
    """An invalid user name, role or password."""


class AuditBroken(ReviewError):
    """The audit log's hash chain does not verify."""


class NotAllowed(Exception):
    """A role may not take this action (HTTP 403)."""


class InvalidDecision(Exception):
    """A decision that does not fit the case (HTTP 400/409)."""

"""Exceptions of the lookalike package; each message says what to fix."""

from __future__ import annotations

from certwatch.errors import UserError


class LookalikeError(UserError):
    """Base class for lookalike-name failures the user can act on."""


class InvalidDomain(LookalikeError):
    """A string that is not a registrable hostname (bad characters, no public suffix …)."""


class WatchlistError(LookalikeError):
    """The watchlist or its vocabulary file is malformed: the message names the file and entry."""


class FeedError(LookalikeError):
    """A domain feed cannot be read."""

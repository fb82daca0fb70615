"""The one exception the CLI turns into a clean one-line error (exit status 2).

Packages that add command groups derive their user-facing errors from `UserError`, so the
front door needs no list of every package's exception types.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can act on: printed as one line, exit status 2."""

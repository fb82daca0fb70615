"""Exceptions of the evidence package; each message says what to do about it."""

from __future__ import annotations

from certwatch.errors import UserError


class EvidenceError(UserError):
    """Base class: a user-facing failure (exit status 2)."""


class UnknownEvidenceID(EvidenceError):
    """An ID names nothing in the store (or is malformed)."""


class NotAPacket(EvidenceError):
    """The file is not an evidence packet written by certwatch."""


class TimestampError(EvidenceError):
    """The timestamp authority could not be reached or its answer does not check out."""


class SigningKeyError(EvidenceError):
    """The signing key is unreadable or has unsafe permissions."""


class CustodyError(EvidenceError):
    """The custody log is broken or does not continue the packet's chain."""

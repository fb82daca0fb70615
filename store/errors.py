"""Exceptions raised by the store package."""


class StoreError(Exception):
    """Base class for store failures; the message says how to fix it."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened."""

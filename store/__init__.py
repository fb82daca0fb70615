"""Persistence: SQLAlchemy models, migrations, and the content-addressed body store.

Raises `StoreError` subclasses only; `StoreUnavailable` when the database cannot be reached.
"""

from store.errors import StoreError, StoreUnavailable

__all__ = ["StoreError", "StoreUnavailable"]

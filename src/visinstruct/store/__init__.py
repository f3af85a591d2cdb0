"""The project store: SQLite, the only place that writes SQL."""

from __future__ import annotations

from visinstruct.store._core import databases_forbidden, forbid_databases
from visinstruct.store.sqlite import CallTotals, DatasetScope, Head, Store, UnitCounts

__all__ = [
    "CallTotals",
    "DatasetScope",
    "Head",
    "Store",
    "UnitCounts",
    "databases_forbidden",
    "forbid_databases",
]

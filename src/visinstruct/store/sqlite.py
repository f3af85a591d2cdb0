"""The project database: the only package that writes SQL.

One SQLite file per project in WAL mode. A work unit is done when its result rows and its
``work_units`` row commit in the same transaction, so a crash at any instant leaves each unit
either wholly done or not started, and ids of content and lineage make a second insert of the
same run's record a counted no-op. Generated content is written once; later changes are
revisions beside it (see ``_revisions``).

:class:`Store` is assembled from one part per concern, each in its own module.
"""

from __future__ import annotations

from visinstruct.store._images import ImagesMixin
from visinstruct.store._ledger import LedgerMixin
from visinstruct.store._review import ReviewMixin
from visinstruct.store._revisions import RevisionsMixin
from visinstruct.store._sessions import SessionsMixin
from visinstruct.store._types import (
    BatchRequestState,
    CallTotals,
    DatasetScope,
    Head,
    ReviewFilter,
    UnitCounts,
    UnitWrite,
)
from visinstruct.store._units import UnitsMixin
from visinstruct.store._verify import VerifyMixin

__all__ = [
    "BatchRequestState",
    "CallTotals",
    "DatasetScope",
    "Head",
    "ReviewFilter",
    "Store",
    "UnitCounts",
    "UnitWrite",
]


class Store(
    ImagesMixin, UnitsMixin, LedgerMixin, VerifyMixin, ReviewMixin, SessionsMixin, RevisionsMixin
):
    """A connection to one project database. Not shared across threads."""

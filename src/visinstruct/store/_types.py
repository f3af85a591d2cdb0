"""Plain values the store hands out and takes in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from visinstruct.records import (
    Record,
)

__all__ = ["BatchRequestState", "CallTotals", "ReviewFilter", "UnitCounts", "UnitWrite"]


@dataclass(frozen=True)
class UnitCounts:
    done: int
    failed: int


@dataclass(frozen=True)
class CallTotals:
    calls: int
    ok: int
    retries: int
    errors: int
    input_tokens: int
    output_tokens: int
    image_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class UnitWrite:
    """One unit's outcome for :meth:`Store.write_batch`: results, or an error when failed."""

    stage: str
    unit_key: str
    config_hash: str
    results: Sequence[Record] = ()
    error: str | None = None
    raw: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class BatchRequestState:
    """One Batch API request in the journal: ``pending`` (in a batch not yet downloaded),
    ``answered`` (``reply`` holds the completion JSON) or ``missing`` (its batch ended
    without an answer for it)."""

    state: str
    reply: str | None
    batch: int
    batch_status: str


@dataclass(frozen=True)
class ReviewFilter:
    """What a review queue shows; None (or "") means no filter on that field.

    ``check``: "failed" for any failed verification check, else the name of a check that
    failed. ``plan``: "plan" (the whole sampling plan), "flagged" or "sample".
    """

    domain: str | None = None
    kind: str | None = None
    language: str | None = None
    status: str | None = None
    check: str | None = None
    model: str | None = None
    plan: str | None = None

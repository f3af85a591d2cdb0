"""Plain values the store hands out and takes in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from visinstruct.records import (
    Record,
)

__all__ = [
    "BatchRequestState",
    "CallTotals",
    "DatasetScope",
    "Head",
    "ReviewFilter",
    "UnitCounts",
    "UnitWrite",
]


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
class Head:
    """What a completed generation unit claims for the dataset: from now on, the instructions
    of ``image_id`` in ``language`` are those this run made from ``caption_id`` — once every
    unit in ``siblings`` (the other kinds of a per-kind layout) is done too."""

    image_id: str
    language: str
    caption_id: str
    siblings: tuple[str, ...] = ()


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
    head: Head | None = None


@dataclass(frozen=True)
class DatasetScope:
    """Which instructions make up the dataset: the one definition every reader uses (export,
    stats, verification, review, cost).

    ``version`` None is the live dataset: per image and language, the latest completed
    generation (over the caption it was made from), plus imported instructions when
    ``include_imports``. A version name is a pinned dataset: exactly its members, at the
    revisions, review states and verdicts they had when it was pinned.
    """

    include_imports: bool = True
    version: str | None = None


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

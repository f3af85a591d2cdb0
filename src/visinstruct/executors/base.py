"""What an executor schedules. Executors know units and jobs, never concrete stages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from visinstruct.records import Record

__all__ = ["Job", "NullProgress", "Progress", "StageSummary", "WorkUnit"]


@dataclass(frozen=True)
class WorkUnit:
    """One independently resumable piece of a stage's work."""

    key: str
    payload: Any = None
    attempts: int = 0
    """Attempts already spent on this unit in earlier runs."""


@dataclass(frozen=True)
class StageSummary:
    stage: str
    total: int
    done_before: int
    done: int
    failed: int
    skipped: int


class Job(Protocol):
    """A stage as an executor sees it."""

    @property
    def name(self) -> str: ...

    @property
    def concurrency(self) -> int: ...

    @property
    def max_attempts(self) -> int: ...

    def plan(self) -> tuple[int, int, Iterator[WorkUnit]]:
        """(units in this stage, units already done, iterator over the units still to do)."""
        ...

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        """Do the unit once. Raise UnitError for a unit-local failure worth another try."""
        ...

    def commit(self, unit: WorkUnit, results: Sequence[Record]) -> None: ...

    def fail(self, unit: WorkUnit, error: str, raw: str | None, attempts: int) -> None: ...


class Progress(Protocol):
    """Receives progress events; the CLI draws them, the Python API may ignore them."""

    def stage_started(self, stage: str, total: int, done: int) -> None: ...

    def unit_finished(self, stage: str, ok: bool) -> None: ...

    def cost_added(self, stage: str, usd: float) -> None: ...

    def stage_finished(self, stage: str) -> None: ...


class NullProgress:
    def stage_started(self, stage: str, total: int, done: int) -> None:
        pass

    def unit_finished(self, stage: str, ok: bool) -> None:
        pass

    def cost_added(self, stage: str, usd: float) -> None:
        pass

    def stage_finished(self, stage: str) -> None:
        pass

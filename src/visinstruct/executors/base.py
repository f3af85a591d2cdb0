"""What an executor schedules. Executors know units and jobs, never concrete stages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from visinstruct.errors import FatalModelError, ModelError, UnitError
from visinstruct.records import Record

__all__ = [
    "Attempter",
    "DistributableJob",
    "Job",
    "NullProgress",
    "Outcome",
    "Progress",
    "RemoteJob",
    "RemoteJobFactory",
    "StageSummary",
    "WorkUnit",
    "prepared",
    "run_attempts",
]


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
    duplicates: int = 0
    """Results of this run that were already stored (same content and lineage), skipped."""


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

    def flush(self) -> None:
        """Make every outcome passed to commit/fail so far durable (writes may be buffered)."""
        ...


class Attempter(Protocol):
    """Whatever can try a unit: a job on the driver, or its remote twin on a worker."""

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]: ...


class RemoteJob(Attempter, Protocol):
    """A job rebuilt inside a worker process: it attempts units and hands back the ledger
    rows its calls made, since only the driver writes to the store."""

    def take_calls(self) -> list[Any]: ...


RemoteJobFactory = Callable[[], RemoteJob]
"""Picklable; called once in each worker to build that worker's :class:`RemoteJob`."""


class DistributableJob(Job, Protocol):
    """A job that can also run on workers of a distributed executor."""

    def remote_factory(self, workers: int) -> RemoteJobFactory:
        """A factory for worker-side jobs; each gets ``1/workers`` of the rate limits."""
        ...

    def record_calls(self, calls: Sequence[Any]) -> None:
        """Keep ledger rows that workers made, with the unit outcomes."""
        ...


def prepared(job: object, unit: WorkUnit, *, remote: bool = False) -> WorkUnit:
    """``unit`` as the job attempts it: with the inputs the job reads on the driver (its
    ``prepare``), or, for a remote worker, those and the files they name (its ``ship``).
    A job without the method attempts the planned unit. Commits always get the planned one."""
    method = getattr(job, "ship" if remote else "prepare", None)
    return unit if method is None else method(unit)


@dataclass(frozen=True)
class Outcome:
    """How a unit ended after its attempts in this run: results, or the last error."""

    results: Sequence[Record] | None
    error: str = ""
    raw: str | None = None
    attempts: int = 0


async def run_attempts(job: Attempter, unit: WorkUnit, max_attempts: int) -> Outcome:
    """Try ``unit`` until it succeeds or its attempt budget is spent.

    A UnitError (unusable reply) is worth another try; a ModelError has already been retried
    inside the backend, so it ends the unit; a FatalModelError propagates and stops the run.
    """
    attempts = unit.attempts
    while True:
        attempts += 1
        try:
            results = await job.attempt(unit)
        except FatalModelError:
            raise
        except UnitError as exc:
            if attempts < max_attempts:
                continue
            return Outcome(None, str(exc), exc.raw, attempts)
        except ModelError as exc:
            return Outcome(None, str(exc), exc.raw, attempts)
        return Outcome(results, attempts=attempts)


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

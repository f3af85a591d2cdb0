"""The local executor on a plain Job: concurrency bound, retries, failure, fatal stop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from visinstruct.errors import FatalModelError, ModelError, UnitError
from visinstruct.executors import LocalExecutor, WorkUnit
from visinstruct.records import Record


@dataclass
class ScriptedJob:
    n: int
    concurrency: int = 3
    max_attempts: int = 2
    name: str = "test"
    behaviour: dict[str, list[BaseException | None]] = field(default_factory=dict)
    in_flight: int = 0
    peak: int = 0
    committed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, int]] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    flushed: bool = False

    def plan(self) -> tuple[int, int, Iterator[WorkUnit]]:
        return self.n, 0, (WorkUnit(f"u{i}") for i in range(self.n))

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        self.attempts[unit.key] = self.attempts.get(unit.key, 0) + 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            script = self.behaviour.get(unit.key, [])
            outcome = script.pop(0) if script else None
            if outcome is not None:
                raise outcome
            return []
        finally:
            self.in_flight -= 1

    def commit(self, unit: WorkUnit, results: Sequence[Record]) -> None:
        self.committed.append(unit.key)

    def fail(self, unit: WorkUnit, error: str, raw: str | None, attempts: int) -> None:
        self.failed.append((unit.key, error, attempts))

    def flush(self) -> None:
        self.flushed = True


def test_every_unit_once_within_the_concurrency_bound() -> None:
    job = ScriptedJob(n=20)
    summary = LocalExecutor().run(job)
    assert sorted(job.committed) == sorted(f"u{i}" for i in range(20))
    assert job.peak == 3
    assert (summary.done, summary.failed) == (20, 0)


def test_unit_errors_are_retried_then_recorded() -> None:
    job = ScriptedJob(
        n=4,
        behaviour={
            "u1": [UnitError("bad reply", raw="x")],
            "u2": [UnitError("bad", raw="r1"), UnitError("still bad", raw="r2")],
            "u3": [ModelError("HTTP 400: too long")],
        },
    )
    summary = LocalExecutor().run(job)
    assert sorted(job.committed) == ["u0", "u1"]
    assert sorted(job.failed) == [("u2", "still bad", 2), ("u3", "HTTP 400: too long", 1)]
    assert job.attempts["u1"] == 2
    assert job.attempts["u3"] == 1
    assert (summary.done, summary.failed) == (2, 2)


def test_fatal_error_stops_everything_at_once() -> None:
    job = ScriptedJob(n=50, behaviour={"u0": [FatalModelError("bad key")]})
    with pytest.raises(FatalModelError, match="bad key"):
        LocalExecutor().run(job)
    assert len(job.committed) < 10
    assert job.in_flight == 0

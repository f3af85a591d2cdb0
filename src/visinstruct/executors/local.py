"""The local executor: units of one job run concurrently on an asyncio loop.

Concurrency is bounded by a fixed pool of workers pulling from the job's unit iterator, so a
million pending units never become a million tasks, and a slow unit (a hung call waiting out
its timeout) holds one worker while the others keep pulling. A fatal model error (bad key,
wrong URL) stops every worker at once; a unit-local error is retried up to the job's attempt
budget and then recorded as failed, and the run goes on. Whatever way the run ends, the job is
flushed, so outcomes it buffered for a batched commit reach the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from visinstruct.executors.base import (
    Job,
    NullProgress,
    Progress,
    StageSummary,
    WorkUnit,
    prepared,
    run_attempts,
)

__all__ = ["LocalExecutor"]


class LocalExecutor:
    def __init__(self, progress: Progress | None = None):
        self.progress: Progress = progress or NullProgress()

    def run(self, job: Job) -> StageSummary:
        """Run ``job`` to completion on a fresh event loop."""
        return asyncio.run(self.run_async(job))

    async def run_async(self, job: Job) -> StageSummary:
        total, done_before, units = job.plan()
        self.progress.stage_started(job.name, total, done_before)
        counts = {"done": 0, "failed": 0, "skipped": 0}
        workers = [
            asyncio.create_task(self._worker(job, units, counts))
            for _ in range(max(1, job.concurrency))
        ]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            job.flush()
            self.progress.stage_finished(job.name)
        return StageSummary(
            stage=job.name,
            total=total,
            done_before=done_before,
            done=counts["done"],
            failed=counts["failed"],
            skipped=counts["skipped"],
        )

    async def _worker(self, job: Job, units: Iterator[WorkUnit], counts: dict[str, int]) -> None:
        # Workers share one iterator; next() runs between awaits, so no unit is taken twice.
        for unit in units:
            ok = await self._run_unit(job, unit)
            counts["done" if ok else "failed"] += 1
            self.progress.unit_finished(job.name, ok)

    @staticmethod
    async def _run_unit(job: Job, unit: WorkUnit) -> bool:
        # The inputs are read here, as the Ray executor reads them before sending a unit.
        outcome = await run_attempts(job, prepared(job, unit), job.max_attempts)
        if outcome.results is None:
            job.fail(unit, outcome.error, outcome.raw, outcome.attempts)
            return False
        job.commit(unit, outcome.results)
        return True

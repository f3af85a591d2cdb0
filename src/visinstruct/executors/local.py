"""The local executor: units of one job run concurrently on an asyncio loop.

Concurrency is bounded by a fixed pool of workers pulling from the job's unit iterator, so a
million pending units never become a million tasks. A fatal model error (bad key, wrong URL)
stops every worker at once; a unit-local error is retried up to the job's attempt budget and
then recorded as failed, and the run goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from visinstruct.errors import FatalModelError, ModelError, UnitError
from visinstruct.executors.base import Job, NullProgress, Progress, StageSummary, WorkUnit

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

    async def _run_unit(self, job: Job, unit: WorkUnit) -> bool:
        attempts = unit.attempts
        while True:
            attempts += 1
            try:
                results = await job.attempt(unit)
            except FatalModelError:
                raise
            except UnitError as exc:
                if attempts < job.max_attempts:
                    continue
                job.fail(unit, str(exc), exc.raw, attempts)
                return False
            except ModelError as exc:
                # Transient errors were already retried inside the backend.
                job.fail(unit, str(exc), exc.raw, attempts)
                return False
            job.commit(unit, results)
            return True

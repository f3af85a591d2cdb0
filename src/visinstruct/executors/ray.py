"""The Ray executor: a job's units spread over Ray worker actors; the driver commits.

For projects that outgrow one machine's event loop. Each worker actor rebuilds the job from
its picklable factory (:meth:`DistributableJob.remote_factory`): its own model client, its own
share of the endpoint's rate limits and concurrency. Workers only attempt units; they return
the results and the ledger rows their calls made, and the driver alone writes to the store,
through the same ``commit``/``fail`` as the local executor, so both executors leave the same
records behind.

Secrets reach workers by name: ``env_names`` (e.g. each role's ``api_key_env``) are copied
from the driver's environment into the actors' Ray runtime environment, so a worker on
another node reads its key from its own environment as the local backend does; no key is ever
in a task payload, a factory or a log line.

Workers never open the project database (SQLite in WAL mode cannot be shared across hosts): the
driver reads each unit's inputs (the job's ``ship``: records, peers, seeds, caption texts, and
the bytes of the image files the unit reads, up to ``executor.ray_ship_max_mb`` each) and sends
them with the unit, so a worker needs no storage shared with the driver. To keep it so, each
worker process forbids itself every database (``store.forbid_databases``) before it builds its
job. Actors are spread over
the cluster's nodes. A job that is not ``distributable`` (its backend keeps state in the store,
like ``openai-batch``'s batch journal) runs on the driver's event loop instead.

A worker that dies mid-run (killed, out of memory, its node gone) loses no results: its units
were not committed, so the driver sends them to a fresh worker. The ledger rows of the calls
it made are fetched every 0.5 s while units run (and with each unit's answer), so those of
calls it made before dying are kept, except the ones of its last half second.

Requires the ``ray`` extra: ``pip install 'visinstruct[ray]'``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from visinstruct.errors import ConfigError, FatalModelError
from visinstruct.executors.base import (
    DistributableJob,
    NullProgress,
    Progress,
    RemoteJob,
    RemoteJobFactory,
    StageSummary,
    WorkUnit,
    prepared,
    run_attempts,
)
from visinstruct.executors.local import LocalExecutor
from visinstruct.store import databases_forbidden, forbid_databases

__all__ = ["RayExecutor"]

_WORKER_CPUS = 0.01
_POLL_S = 0.5
_INSTALL_HINT = "the Ray executor needs Ray: pip install 'visinstruct[ray]'"


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(_INSTALL_HINT, field="executor.kind") from exc
    return ray


_NO_SQLITE = (
    "a Ray worker tried to open an SQLite database ({}); workers never open the project store: "
    "the driver sends each unit's inputs (report this as a bug)"
)


class _Worker:
    """One Ray actor: the job rebuilt here, attempting the units the driver sends."""

    def __init__(self, factory: RemoteJobFactory):
        forbid_databases(_NO_SQLITE)
        self.job: RemoteJob = factory()

    def pid(self) -> int:
        return os.getpid()

    async def calls(self) -> list[Any]:
        """Ledger rows made here since the last take (the driver fetches them while units run)."""
        return self.job.take_calls()

    def info(self) -> dict[str, Any]:
        """Where this worker runs and its share of the endpoint's limits, for reports."""
        limits = getattr(self.job, "limits", None)
        return {
            "pid": os.getpid(),
            "node": _ray().get_runtime_context().get_node_id(),
            "limits": limits() if callable(limits) else None,
            "sqlite_refused": databases_forbidden(),
        }

    async def run(self, unit: WorkUnit, max_attempts: int) -> tuple[Any, ...]:
        try:
            outcome = await run_attempts(self.job, unit, max_attempts)
        except FatalModelError as exc:
            return ("fatal", str(exc), self.job.take_calls())
        return ("outcome", outcome, self.job.take_calls())


@dataclass
class _Flight:
    """Units sent and not yet answered, per worker slot."""

    refs: dict[Any, tuple[WorkUnit, int, Any]] = field(default_factory=dict)
    load: list[int] = field(default_factory=list)


class RayExecutor:
    """Runs a job's units on ``workers`` Ray actors (see the module docstring).

    ``address`` joins an existing cluster; unset, a local Ray instance is started with
    ``init_options`` (e.g. ``num_cpus``) unless Ray is already initialised.
    """

    def __init__(
        self,
        progress: Progress | None = None,
        *,
        workers: int = 2,
        address: str | None = None,
        init_options: dict[str, Any] | None = None,
        env_names: Sequence[str] = (),
    ):
        self.progress: Progress = progress or NullProgress()
        self.workers = max(1, workers)
        self.address = address
        self.init_options = dict(init_options or {})
        self.env_names = tuple(env_names)
        self.actors: list[Any] = []
        self.restarts = 0
        self.workers_seen: list[dict[str, Any]] = []
        """Each worker's :meth:`_Worker.info` at the end of the last run (node, limits)."""

    def run(self, job: DistributableJob) -> StageSummary:
        return asyncio.run(self.run_async(job))

    def _start(self, job: DistributableJob) -> tuple[Any, Any]:
        ray = _ray()
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            options.update(self.init_options)
            ray.init(address=self.address, **options)
        per_worker = max(1, -(-job.concurrency // self.workers))
        env = {name: os.environ[name] for name in self.env_names if name in os.environ}
        # A token CPU share: Ray spreads actors that ask for nothing all onto one node, and a
        # worker mostly waits on the network, so it should not hold a core from other work.
        actor_cls = ray.remote(
            num_cpus=_WORKER_CPUS, max_concurrency=per_worker + 1, scheduling_strategy="SPREAD"
        )(_Worker)
        if env:
            actor_cls = actor_cls.options(runtime_env={"env_vars": env})
        factory = job.remote_factory(self.workers)
        self.actors = [actor_cls.remote(factory) for _ in range(self.workers)]
        return ray, lambda: actor_cls.remote(factory)

    async def run_async(self, job: DistributableJob) -> StageSummary:
        if not getattr(job, "distributable", True):
            return await LocalExecutor(self.progress).run_async(job)
        ray, new_actor = self._start(job)
        total, done_before, units = job.plan()
        self.progress.stage_started(job.name, total, done_before)
        counts = {"done": 0, "failed": 0}
        stop = asyncio.Event()
        poller = asyncio.create_task(self._poll_calls(job, stop))
        try:
            await self._drive(ray, new_actor, job, units, counts)
            infos = [asyncio.wrap_future(a.info.remote().future()) for a in self.actors]
            seen = await asyncio.gather(*infos, return_exceptions=True)
            self.workers_seen = [i for i in seen if isinstance(i, dict)]
        finally:
            stop.set()
            await poller
            job.flush()
            self.progress.stage_finished(job.name)
            for actor in self.actors:
                ray.kill(actor)
        return StageSummary(job.name, total, done_before, counts["done"], counts["failed"], 0)

    async def _drive(
        self,
        ray: Any,
        new_actor: Any,
        job: DistributableJob,
        units: Iterator[WorkUnit],
        counts: dict[str, int],
    ) -> None:
        flight = _Flight(load=[0] * len(self.actors))
        waiting: dict[asyncio.Future[Any], Any] = {}
        again: deque[WorkUnit] = deque()  # units of a worker that died, sent first
        limit = max(1, job.concurrency)
        exhausted = False
        while True:
            while len(flight.refs) < limit and (again or not exhausted):
                unit = again.popleft() if again else next(units, None)
                if unit is None:
                    exhausted = True
                    break
                slot = flight.load.index(min(flight.load))
                actor = self.actors[slot]
                ref = actor.run.remote(prepared(job, unit, remote=True), job.max_attempts)
                flight.refs[ref] = (unit, slot, actor)
                flight.load[slot] += 1
                waiting[asyncio.wrap_future(ref.future())] = ref
            if not waiting:
                return
            finished, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for fut in finished:
                ref = waiting.pop(fut)
                unit, slot, actor = flight.refs.pop(ref)
                flight.load[slot] -= 1
                try:
                    answer = fut.result()
                except ray.exceptions.RayActorError:
                    again.append(unit)  # not committed: another worker does it from scratch
                    self._replace(slot, actor, new_actor)
                    continue
                self._settle(job, unit, answer, counts)

    async def _poll_calls(self, job: DistributableJob, stop: asyncio.Event) -> None:
        """Fetch the workers' ledger rows every ``_POLL_S`` while units run, so the rows of
        calls a worker made reach the driver even if it dies before its unit ends. Stops
        only between polls (a poll's rows are taken off the worker when it answers)."""
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), _POLL_S)
            polls = [asyncio.wrap_future(a.calls.remote().future()) for a in list(self.actors)]
            for rows in await asyncio.gather(*polls, return_exceptions=True):
                if isinstance(rows, list):  # else a dead worker: its last rows died with it
                    job.record_calls(rows)

    def _replace(self, slot: int, dead: Any, new_actor: Any) -> None:
        """A dead worker's actor is replaced once, however many of its units come back: the
        first of them finds the dead actor still in its slot, the others its replacement.
        (No call to the actor to ask: that would block the loop while it times out.)"""
        if self.actors[slot] is dead:
            self.actors[slot] = new_actor()
            self.restarts += 1

    def _settle(
        self, job: DistributableJob, unit: WorkUnit, answer: tuple[Any, ...], counts: dict[str, int]
    ) -> None:
        kind, payload, calls = answer
        job.record_calls(calls)
        if kind == "fatal":
            raise FatalModelError(payload)
        if payload.results is None:
            job.fail(unit, payload.error, payload.raw, payload.attempts)
            counts["failed"] += 1
            self.progress.unit_finished(job.name, False)
            return
        job.commit(unit, payload.results)
        counts["done"] += 1
        self.progress.unit_finished(job.name, True)

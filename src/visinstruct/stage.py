"""The small base every model-calling stage derives from.

A stage names its settings (what determines its output); their hash keys its work units, so a
changed setting reruns that stage alone while an unchanged one skips what is done. The base
does the bookkeeping: planning against the store, the call ledger, commits and failures.

Planning streams: candidates are checked against the store a slice at a time, so the memory a
plan needs does not grow with the collection. Writes are batched: unit outcomes and ledger
rows wait in a :class:`WriteBehind` buffer and commit together in one short transaction every
``executor.flush_units`` units or ``executor.flush_ms`` milliseconds (0: at the end of the
event-loop turn, which coalesces whatever finished in that turn). A unit's results and its done
mark always commit together; a crash loses only the buffered outcomes, whose units the next
run does again.
"""

from __future__ import annotations

import asyncio
import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from visinstruct.config import ProjectConfig, Role
from visinstruct.executors.base import NullProgress, Progress, RemoteJobFactory, WorkUnit
from visinstruct.models.base import CallContext, ModelBackend
from visinstruct.records import ModelCall, Record, content_id
from visinstruct.store import Store
from visinstruct.store.sqlite import UnitWrite

__all__ = ["ModelStage", "WriteBehind"]

_PLAN_SLICE = 512


class WriteBehind:
    """Unit outcomes and ledger rows, buffered and committed in one transaction per flush."""

    def __init__(self, store: Store, flush_units: int = 256, flush_ms: float = 0.0):
        self.store = store
        self.flush_units = max(1, flush_units)
        self.flush_ms = flush_ms
        self._units: list[UnitWrite] = []
        self._calls: list[ModelCall] = []
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self.flushes = 0

    def add_unit(self, write: UnitWrite) -> None:
        self._units.append(write)
        if len(self._units) >= self.flush_units:
            self.flush()
        else:
            self._schedule()

    def add_calls(self, calls: Sequence[ModelCall]) -> None:
        self._calls.extend(calls)
        if len(self._calls) >= 4 * self.flush_units:
            self.flush()
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): nothing would flush later
            self.flush()
            return
        if self.flush_ms <= 0:
            self._timer = loop.call_soon(self.flush)
        else:
            self._timer = loop.call_later(self.flush_ms / 1000.0, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._units and not self._calls:
            return
        units, calls = self._units, self._calls
        self._units, self._calls = [], []
        self.store.write_batch(units, calls)
        self.flushes += 1


class _CallCollector:
    """The ledger of a stage running inside a worker: rows are handed to the driver."""

    def __init__(self) -> None:
        self.calls: list[ModelCall] = []


class ModelStage(ABC):
    name: ClassVar[str]
    role: ClassVar[Role]

    def __init__(
        self,
        config: ProjectConfig,
        store: Store,
        backend: ModelBackend,
        *,
        progress: Progress | None = None,
        retry_failed: bool = False,
        root: Path | None = None,
    ):
        self.config = config
        self.root = root
        """The project folder, for stages that read project files (e.g. user seed files)."""
        self.store = store
        self.backend = backend
        self.progress: Progress = progress or NullProgress()
        self.retry_failed = retry_failed
        self.config_hash = self.hash_of(config)
        ex = config.executor
        self.writer = WriteBehind(store, ex.flush_units, ex.flush_ms)
        backend.bind_store(store)
        self._collector: _CallCollector | None = None

    # -- what a concrete stage says ---------------------------------------------------------

    @classmethod
    @abstractmethod
    def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
        """Everything that changes this stage's output (model, prompt version, parameters)."""

    @classmethod
    def hash_of(cls, config: ProjectConfig) -> str:
        """The key of this stage's work units under ``config``."""
        return content_id(cls.name, cls.settings_of(config))

    def settings(self) -> dict[str, Any]:
        return self.settings_of(self.config)

    @abstractmethod
    def candidates(self) -> Iterator[WorkUnit]:
        """Every unit this stage has under the current settings, done or not."""

    @classmethod
    @abstractmethod
    def count_units(cls, config: ProjectConfig, store: Store) -> int:
        """How many units the stage has under ``config`` (done or not), without a backend."""

    def count_candidates(self) -> int:
        return self.count_units(self.config, self.store)

    @abstractmethod
    async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
        """Do one unit; raise UnitError when the reply cannot be used."""

    @property
    @abstractmethod
    def max_attempts(self) -> int: ...

    # -- the Job protocol -----------------------------------------------------------------

    @property
    def concurrency(self) -> int:
        return self.backend.concurrency

    def plan(self) -> tuple[int, int, Iterator[WorkUnit]]:
        self.store.remember_stage_config(self.name, self.config_hash, self.settings())
        done = self.store.unit_counts(self.name, self.config_hash).done
        return self.count_candidates(), done, self._todo()

    def _todo(self) -> Iterator[WorkUnit]:
        candidates = self.candidates()
        while chunk := list(itertools.islice(candidates, _PLAN_SLICE)):
            keys = [unit.key for unit in chunk]
            states = self.store.unit_states_for(self.name, self.config_hash, keys)
            for unit in chunk:
                status, attempts = states.get(unit.key, ("", 0))
                if status == "done":
                    continue
                if status == "failed" and attempts >= self.max_attempts:
                    if not self.retry_failed:
                        continue
                    attempts = 0
                yield WorkUnit(unit.key, unit.payload, attempts)

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        context = CallContext(stage=self.name, unit_key=unit.key, record=self._record_call)
        return await self.process(unit, context)

    def commit(self, unit: WorkUnit, results: Sequence[Record]) -> None:
        self.writer.add_unit(UnitWrite(self.name, unit.key, self.config_hash, results))

    def fail(self, unit: WorkUnit, error: str, raw: str | None, attempts: int) -> None:
        self.writer.add_unit(
            UnitWrite(
                self.name, unit.key, self.config_hash, error=error, raw=raw, attempts=attempts
            )
        )

    def flush(self) -> None:
        self.writer.flush()

    def _record_call(self, call: ModelCall) -> None:
        if self._collector is not None:
            self._collector.calls.append(call)
            return
        self.writer.add_calls([call])
        if call.cost_usd:
            self.progress.cost_added(self.name, call.cost_usd)

    # -- running on workers of a distributed executor ---------------------------------------

    def remote_factory(self, workers: int) -> RemoteJobFactory:
        """A picklable recipe that rebuilds this stage inside a worker process."""
        return _StageFactory(
            stage_cls=type(self),
            config=self.config,
            db_path=str(self.store.path),
            root=None if self.root is None else str(self.root),
            share=max(1, workers),
        )

    def record_calls(self, calls: Sequence[Any]) -> None:
        rows = [c for c in calls if isinstance(c, ModelCall)]
        self.writer.add_calls(rows)
        for call in rows:
            if call.cost_usd:
                self.progress.cost_added(self.name, call.cost_usd)

    def take_calls(self) -> list[Any]:
        """Ledger rows made on a worker since the last take (see :meth:`remote_factory`)."""
        if self._collector is None:
            return []
        calls, self._collector.calls = self._collector.calls, []
        return list(calls)


@dataclass(frozen=True)
class _StageFactory:
    """Builds a stage in a worker: its own store connection (read only in practice: results
    go back to the driver), its own backend with ``1/share`` of the endpoint's limits."""

    stage_cls: type[ModelStage]
    config: ProjectConfig
    db_path: str
    root: str | None
    share: int

    def __call__(self) -> ModelStage:
        from visinstruct.models.registry import create_backend  # the worker's own client

        spec = self.config.models.get(self.stage_cls.role)
        share = self.share
        spec = spec.model_copy(
            update={
                "requests_per_minute": spec.requests_per_minute
                and spec.requests_per_minute / share,
                "tokens_per_minute": spec.tokens_per_minute and spec.tokens_per_minute / share,
                "concurrency": max(1, -(-spec.concurrency // share)),
            }
        )
        backend = create_backend(spec, self.stage_cls.role)
        stage = self.stage_cls(
            self.config,
            Store(self.db_path),
            backend,
            root=None if self.root is None else Path(self.root),
        )
        stage._collector = _CallCollector()
        return stage

"""The small base every model-calling stage derives from.

A stage names its settings (what determines its output); their hash keys its work units, so a
changed setting reruns that stage alone while an unchanged one skips what is done. The base
does the bookkeeping: planning against the store, the call ledger, commits and failures.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from visinstruct.config import ProjectConfig, Role
from visinstruct.executors.base import NullProgress, Progress, WorkUnit
from visinstruct.models.base import CallContext, ModelBackend
from visinstruct.records import ModelCall, Record, content_id
from visinstruct.store import Store

__all__ = ["ModelStage"]


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
        states = self.store.unit_states(self.name, self.config_hash)
        done = sum(1 for status, _ in states.values() if status == "done")
        return self.count_candidates(), done, self._todo(states)

    def _todo(self, states: dict[str, tuple[str, int]]) -> Iterator[WorkUnit]:
        for unit in self.candidates():
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
        self.store.complete_unit(self.name, unit.key, self.config_hash, results)

    def fail(self, unit: WorkUnit, error: str, raw: str | None, attempts: int) -> None:
        self.store.fail_unit(self.name, unit.key, self.config_hash, error, raw, attempts)

    def _record_call(self, call: ModelCall) -> None:
        self.store.add_calls([call])
        if call.cost_usd:
            self.progress.cost_added(self.name, call.cost_usd)

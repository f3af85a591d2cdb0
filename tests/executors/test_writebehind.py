"""Batched commits and streaming plans of the ModelStage base, through the local executor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from visinstruct.config import ExecutorConfig, ModelsConfig, ModelSpec, ProjectConfig, Role
from visinstruct.executors import LocalExecutor, WorkUnit
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse, Message, ModelBackend
from visinstruct.records import ModelCall, Record
from visinstruct.stage import ModelStage, WriteBehind
from visinstruct.store import Store
from visinstruct.store.sqlite import UnitWrite

UNITS = 1500


class Instant(ModelBackend):
    name: ClassVar[str] = "instant-test"

    @property
    def endpoint(self) -> str:
        return "here"

    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        await asyncio.sleep(0)
        context.record(_call(context.stage, context.unit_key))
        return ChatResponse(text="ok")


def _call(stage: str, key: str) -> ModelCall:
    return ModelCall(
        stage=stage, unit_key=key, role="generator", model="m", endpoint="here",
        started_at=time.time(), latency_s=0.0, outcome="ok",
    )  # fmt: skip


class Counting(ModelStage):
    name: ClassVar[str] = "count"
    role: ClassVar[Role] = "generator"

    @classmethod
    def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
        return {"v": 1}

    @property
    def max_attempts(self) -> int:
        return 1

    def candidates(self) -> Iterator[WorkUnit]:
        return (WorkUnit(f"u{i:05d}") for i in range(UNITS))

    @classmethod
    def count_units(cls, config: ProjectConfig, store: Store) -> int:
        return UNITS

    async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
        await self.backend.chat(ChatRequest(messages=(Message("user", "x"),)), context)
        return []


def _stage(store: Store, **executor: Any) -> Counting:
    spec = ModelSpec(backend="instant-test", model="m", concurrency=16)
    config = ProjectConfig(models=ModelsConfig(generator=spec), executor=ExecutorConfig(**executor))
    return Counting(config, store, Instant(spec, "generator"))


def test_units_and_ledger_rows_commit_in_few_transactions(tmp_path: Path) -> None:
    with Store(tmp_path / "p.db") as store:
        stage = _stage(store, flush_units=100, flush_ms=1000)
        summary = LocalExecutor().run(stage)
        assert summary.done == UNITS
        assert store.unit_counts("count", stage.config_hash).done == UNITS
        assert store.call_totals("count").calls == UNITS
        assert stage.writer.flushes <= UNITS // 100 + 2  # the size bound, then the final flush


def test_rerun_streams_past_done_units_without_loading_all_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(tmp_path / "p.db") as store:
        LocalExecutor().run(_stage(store))

        def whole_stage(*args: Any) -> None:
            raise AssertionError("the plan must not load every unit's state at once")

        monkeypatch.setattr(store, "unit_states", whole_stage)
        asked: list[int] = []
        real = store.unit_states_for

        def sliced(stage: str, config_hash: str, keys: Sequence[str]) -> Any:
            asked.append(len(keys))
            return real(stage, config_hash, keys)

        monkeypatch.setattr(store, "unit_states_for", sliced)
        again = LocalExecutor().run(_stage(store))
        assert (again.done_before, again.done) == (UNITS, 0)
        assert max(asked) <= 512
        assert sum(asked) == UNITS


def test_buffered_outcomes_are_invisible_until_flushed_then_all_at_once(tmp_path: Path) -> None:
    with Store(tmp_path / "p.db") as store:
        writer = WriteBehind(store, flush_units=3, flush_ms=60_000)

        async def two_units() -> None:
            writer.add_calls([_call("s", "a"), _call("s", "b")])
            writer.add_unit(UnitWrite("s", "a", "h"))
            writer.add_unit(UnitWrite("s", "b", "h", error="bad reply", raw="?", attempts=2))
            # A crash here loses both units and both ledger rows, never one without the other.
            assert (store.unit_counts("s", "h").done, store.unit_counts("s", "h").failed) == (0, 0)
            assert store.call_totals().calls == 0
            writer.flush()

        asyncio.run(two_units())
        counts = store.unit_counts("s", "h")
        assert (counts.done, counts.failed) == (1, 1)
        assert store.call_totals().calls == 2
        assert writer.flushes == 1


def test_without_an_event_loop_every_outcome_is_written_at_once(tmp_path: Path) -> None:
    with Store(tmp_path / "p.db") as store:
        writer = WriteBehind(store, flush_units=100)
        writer.add_unit(UnitWrite("s", "a", "h"))
        assert store.unit_counts("s", "h").done == 1

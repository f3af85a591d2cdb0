"""Memory benchmark: a million pending units stream through the local executor.

An in-process backend answers every call at once (no network), so the run is all engine:
the streaming plan (candidates checked against the store 512 at a time), the worker pool, the
write-behind buffer and the store (one ``work_units`` row and one ledger row per unit). Then
the same stage is planned again with every unit done: the plan streams past a million done
units without holding their states. Peak RSS is the process's ``ru_maxrss``.

    python bench/memory.py [--units 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from visinstruct.config import ModelsConfig, ModelSpec, ProjectConfig, Role
from visinstruct.executors import LocalExecutor, WorkUnit
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse, Message, ModelBackend
from visinstruct.records import ModelCall, Record
from visinstruct.stage import ModelStage
from visinstruct.store import Store


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class InstantBackend(ModelBackend):
    """Answers at once and writes one ledger row per call, like a real backend."""

    name: ClassVar[str] = "instant"

    @property
    def endpoint(self) -> str:
        return "in-process"

    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        await asyncio.sleep(0)
        context.record(
            ModelCall(
                stage=context.stage, unit_key=context.unit_key, role=self.role, model="instant",
                endpoint="in-process", started_at=time.time(), latency_s=0.0, outcome="ok",
                input_tokens=10, output_tokens=5,
            )
        )  # fmt: skip
        return ChatResponse(text="ok", input_tokens=10, output_tokens=5)


def stage_for(units: int) -> type[ModelStage]:
    class CountStage(ModelStage):
        name: ClassVar[str] = "memory"
        role: ClassVar[Role] = "generator"

        @classmethod
        def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
            return {"units": units}

        @property
        def max_attempts(self) -> int:
            return 1

        def candidates(self) -> Iterator[WorkUnit]:
            return (WorkUnit(f"unit-{i:08d}", i) for i in range(units))

        @classmethod
        def count_units(cls, config: ProjectConfig, store: Store) -> int:
            return units

        async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
            request = ChatRequest(messages=(Message("user", f"unit {unit.payload}"),))
            await self.backend.chat(request, context)
            return []

    return CountStage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    spec = ModelSpec(backend="instant", model="instant", concurrency=args.concurrency)
    config = ProjectConfig(models=ModelsConfig(generator=spec))
    stage_cls = stage_for(args.units)
    report: dict[str, Any] = {"units": args.units, "rss_after_imports_mb": _rss_mb()}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "memory.db")
        stage = stage_cls(config, store, InstantBackend(spec, "generator"))
        t0 = time.perf_counter()
        summary = LocalExecutor().run(stage)
        report.update(
            run_s=time.perf_counter() - t0, done=summary.done, peak_rss_run_mb=_rss_mb(),
            ledger_rows=store.call_totals().calls, flushes=stage.writer.flushes,
        )  # fmt: skip
        t0 = time.perf_counter()
        again = LocalExecutor().run(stage_cls(config, store, InstantBackend(spec, "generator")))
        report.update(
            rerun_s=time.perf_counter() - t0, rerun_done_before=again.done_before,
            rerun_done=again.done, peak_rss_mb=_rss_mb(),
            db_mb=(Path(tmp) / "memory.db").stat().st_size / 2**20,
        )  # fmt: skip
        store.close()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

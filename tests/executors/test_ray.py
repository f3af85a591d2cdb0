"""The Ray executor on a local Ray instance: same records as the local executor, and a worker
killed mid-run loses nothing."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import ray

from visinstruct.config import ExecutorConfig, ModelsConfig, ModelSpec, ProjectConfig
from visinstruct.executors import WorkUnit
from visinstruct.executors.ray import RayExecutor
from visinstruct.project import Project
from visinstruct.records import Record

from conftest import make_images

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def _config(images: Path, kind: str) -> ProjectConfig:
    return ProjectConfig(
        collect={"path": images},
        models=ModelsConfig(
            captioner=ModelSpec(backend="annotations", model="annotations", concurrency=8),
            generator=ModelSpec(backend="template", model="template", concurrency=8),
        ),
        ocr={"enabled": False},
        generate={"languages": ["en", "zh"], "reject_seed_copies": False},
        executor=ExecutorConfig(kind=kind, ray_workers=2),  # type: ignore[arg-type]
    )


def _records(project: Project) -> dict[str, Any]:
    caption_hash = project._hash_or_none(project_stage("caption"))
    generate_hash = project._hash_or_none(project_stage("generate"))
    assert caption_hash is not None
    assert generate_hash is not None
    store = project.store
    return {
        "captions": sorted(c.model_dump_json() for c in store.captions(caption_hash)),
        "instructions": sorted(i.model_dump_json() for i in store.instructions_of(generate_hash)),
        "dataset": sorted(i.id for i in store.instructions(project.scope())),
        "status": project.status()["stages"],
        "calls": store.call_totals().calls,
    }


def project_stage(name: str) -> Any:
    from visinstruct.caption import CaptionStage
    from visinstruct.generate import GenerateStage

    return {"caption": CaptionStage, "generate": GenerateStage}[name]


def test_ray_and_local_give_identical_records(local_ray: None, tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"landmark": 250, "posters": 250})
    found = {}
    for kind in ("local", "ray"):
        with Project(tmp_path / kind, _config(images, kind)) as project:
            assert project.collect().accepted == 500
            project.caption()
            project.generate()
            found[kind] = _records(project)
    local, remote = found["local"], found["ray"]
    assert len(local["captions"]) == 500
    assert len(local["instructions"]) > 500 * 2
    assert remote["captions"] == local["captions"]
    assert remote["instructions"] == local["instructions"]
    assert remote["dataset"] == local["dataset"]  # the same heads claimed: the same live data
    assert remote["status"] == local["status"]
    assert remote["calls"] == local["calls"] == 500 * 3  # every worker's ledger rows arrived


@dataclass
class _Dying:
    """A worker-side job whose first attempt at unit u7 makes a call, then kills its worker
    process a while later (after the driver has fetched that call's ledger row)."""

    marker: str
    rows: list[str] = field(default_factory=list)

    def __call__(self) -> _Dying:
        return self

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        if unit.key == "u7" and not os.path.exists(self.marker):
            Path(self.marker).write_text("died once")
            self.rows.append("u7:answered, then the worker died")
            await asyncio.sleep(1.5)
            os._exit(1)
        self.rows.append(f"{unit.key}:{os.getpid()}")
        return []

    def take_calls(self) -> list[Any]:
        rows, self.rows = self.rows, []
        return rows


@dataclass
class _DriverJob:
    marker: str
    name: str = "dying"
    concurrency: int = 4
    max_attempts: int = 2
    committed: list[str] = field(default_factory=list)
    calls: list[Any] = field(default_factory=list)

    def plan(self) -> tuple[int, int, Iterator[WorkUnit]]:
        return 40, 0, (WorkUnit(f"u{i}") for i in range(40))

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        raise AssertionError("the driver never attempts units itself")

    def commit(self, unit: WorkUnit, results: Sequence[Record]) -> None:
        self.committed.append(unit.key)

    def fail(self, unit: WorkUnit, error: str, raw: str | None, attempts: int) -> None:
        raise AssertionError(f"{unit.key} failed: {error}")

    def flush(self) -> None:
        pass

    def remote_factory(self, workers: int) -> _Dying:
        return _Dying(self.marker)

    def record_calls(self, calls: Sequence[Any]) -> None:
        self.calls.extend(calls)


def test_a_worker_killed_mid_run_loses_nothing(local_ray: None, tmp_path: Path) -> None:
    job = _DriverJob(str(tmp_path / "died"))
    executor = RayExecutor(workers=2)
    summary = executor.run(job)
    assert (tmp_path / "died").exists()  # the worker really died
    assert executor.restarts == 1
    assert sorted(job.committed) == sorted(f"u{i}" for i in range(40))  # each exactly once
    assert (summary.done, summary.failed) == (40, 0)
    # one ledger row per unit, and the row of the call the dead worker had answered
    assert len(job.calls) == 41
    assert "u7:answered, then the worker died" in job.calls


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from visinstruct.errors import ConfigError
    from visinstruct.executors import ray as ray_executor

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"visinstruct\[ray\]"):
        ray_executor._ray()


def _batch_config(images: Path, base_url: str, kind: str) -> ProjectConfig:
    spec = ModelSpec(
        backend="openai-batch", model="m", base_url=base_url, batch_size=5,
        max_open_batches=4, batch_poll_s=0.05, price_input_per_1m=2.0, price_output_per_1m=8.0,
    )  # fmt: skip
    return ProjectConfig(
        collect={"path": images},
        models=ModelsConfig(captioner=spec),
        ocr={"enabled": False},
        executor=ExecutorConfig(kind=kind, ray_workers=2),  # type: ignore[arg-type]
    )


def _ledger_keys(project: Project) -> list[str]:
    return sorted(c.unit_key for c in project.store.calls("caption"))


def test_the_batch_backend_under_ray_bills_each_unit_once_even_on_resume(
    local_ray: None, tmp_path: Path
) -> None:

    from visinstruct.caption import CaptionStage
    from visinstruct.executors import LocalExecutor
    from visinstruct.models.registry import create_backend

    from fakeserver import FakeOpenAIServer
    from responders import engine_responder

    images = tmp_path / "images"
    make_images(images, {"landmark": 10, "posters": 10})
    with FakeOpenAIServer(engine_responder, batch_polls=10**6) as server:
        with Project(tmp_path / "p", _batch_config(images, server.base_url, "ray")) as project:
            assert project.collect().accepted == 20
            spec = project.config.models.captioner
            assert spec is not None
            backend = create_backend(spec, "captioner")
            stage = CaptionStage(project.config, project.store, backend, root=project.root)

            async def crash() -> None:  # batches submitted, the process gone before answers
                try:
                    await asyncio.wait_for(LocalExecutor().run_async(stage), timeout=1.5)
                finally:
                    await backend.aclose()

            with pytest.raises(asyncio.TimeoutError):
                asyncio.run(crash())
            submitted = len(server.batch_inputs)
            assert submitted == 4
            server.batch_polls = 0
            summary = project.caption()  # kind ray: the batch journal keeps it on the driver
            assert (summary.done, summary.failed) == (20, 0)
            keys = _ledger_keys(project)
        assert len(server.batch_inputs) == submitted  # nothing resubmitted
        assert server.chat_count == 20
    assert len(keys) == len(set(keys)) == 20  # one ledger row per unit, not one per worker


@dataclass(frozen=True)
class _EnvReader:
    """A worker-side job that reports what its process's environment holds under ``name``."""

    name: str

    def __call__(self) -> _EnvReader:
        return self

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        return []

    def take_calls(self) -> list[Any]:
        return [os.environ.get(self.name, "<unset>")]


@dataclass
class _EnvJob:
    env_name: str
    name: str = "env"
    concurrency: int = 2
    max_attempts: int = 1
    calls: list[Any] = field(default_factory=list)

    def plan(self) -> tuple[int, int, Iterator[WorkUnit]]:
        return 4, 0, (WorkUnit(f"u{i}") for i in range(4))

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        raise AssertionError("the driver never attempts units itself")

    def commit(self, unit: WorkUnit, results: Sequence[Record]) -> None:
        pass

    def fail(self, unit: WorkUnit, error: str, raw: str | None, attempts: int) -> None:
        raise AssertionError(f"{unit.key} failed: {error}")

    def flush(self) -> None:
        pass

    def remote_factory(self, workers: int) -> _EnvReader:
        return _EnvReader(self.env_name)  # the name travels, never the value

    def record_calls(self, calls: Sequence[Any]) -> None:
        self.calls.extend(calls)


def test_keys_reach_workers_by_name_through_the_runtime_env(
    local_ray: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "VISINSTRUCT_RAY_TEST_KEY"
    monkeypatch.setenv(name, "sk-only-in-the-driver")  # set after Ray started its workers
    without = _EnvJob(name)
    RayExecutor(workers=2).run(without)
    assert set(without.calls) == {"<unset>"}  # a worker does not see the driver's env
    named = _EnvJob(name)
    RayExecutor(workers=2, env_names=[name]).run(named)
    assert set(named.calls) == {"sk-only-in-the-driver"}

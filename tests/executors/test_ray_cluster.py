"""The Ray executor on a three-node cluster on this machine (a head and two worker nodes):
caption and generation against the scripted server give the local executor's records, no
worker opens the database, and the workers' rate shares add up to the configured limit."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import ray
from ray.cluster_utils import Cluster

from visinstruct import project as project_module
from visinstruct.caption import CaptionStage
from visinstruct.config import ExecutorConfig, ModelsConfig, ModelSpec, ProjectConfig
from visinstruct.executors import WorkUnit
from visinstruct.executors.ray import RayExecutor
from visinstruct.generate import GenerateStage
from visinstruct.project import Project
from visinstruct.records import Record
from visinstruct.store import Store

from conftest import make_images
from fakeserver import FakeOpenAIServer
from responders import engine_responder

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

KEY_ENV = "VISINSTRUCT_CLUSTER_TEST_KEY"
RPM = 1200.0  # 20 calls a second in all: pacing is visible over the 60 generation calls
IMAGES = 30


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    small = {"num_cpus": 1, "object_store_memory": 100 * 2**20}
    nodes = Cluster(initialize_head=True, head_node_args={**small, "include_dashboard": False})
    for _ in range(2):
        nodes.add_node(**small)
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, log_to_driver=False)
    try:
        yield nodes
    finally:
        ray.shutdown()
        nodes.shutdown()


def _config(images: Path, base_url: str, kind: str) -> ProjectConfig:
    def spec() -> ModelSpec:
        return ModelSpec(
            model="m", base_url=base_url, api_key_env=KEY_ENV, requests_per_minute=RPM,
            concurrency=6,
        )  # fmt: skip

    return ProjectConfig(
        collect={"path": images},
        models=ModelsConfig(captioner=spec(), generator=spec()),
        ocr={"enabled": False},
        generate={"languages": ["en", "zh"], "reject_seed_copies": False},
        executor=ExecutorConfig(kind=kind, ray_workers=3),  # type: ignore[arg-type]
    )


def _records(project: Project) -> dict[str, Any]:
    store = project.store
    caption_hash = CaptionStage.hash_of(project.config)
    generate_hash = GenerateStage.hash_of(project.config)
    return {
        "captions": sorted(c.model_dump_json() for c in store.captions(caption_hash)),
        "instructions": sorted(i.model_dump_json() for i in store.instructions_of(generate_hash)),
        "dataset": sorted(i.id for i in store.instructions(project.scope())),
        "status": project.status()["stages"],
        "calls": store.call_totals().calls,
    }


def test_caption_and_generation_on_three_nodes_match_the_local_run(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-cluster")
    executors: list[RayExecutor] = []

    class Recorded(RayExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            executors.append(self)

    monkeypatch.setattr(project_module, "RayExecutor", Recorded)
    images = tmp_path / "images"
    make_images(images, {"landmark": IMAGES // 2, "posters": IMAGES // 2})
    found: dict[str, dict[str, Any]] = {}
    with FakeOpenAIServer(engine_responder, api_key="sk-cluster") as server:
        for kind in ("local", "ray"):
            with Project(tmp_path / kind, _config(images, server.base_url, kind)) as project:
                assert project.collect().accepted == IMAGES
                assert project.caption().failed == 0
                assert project.generate().failed == 0
                found[kind] = _records(project)
                generation_starts = sorted(c.started_at for c in project.store.calls("generate"))
    local, remote = found["local"], found["ray"]
    assert len(local["captions"]) == IMAGES
    assert len(local["instructions"]) >= IMAGES * 2
    assert len(local["dataset"]) == len(local["instructions"])  # all of it live, under both
    assert remote == local  # captions, instructions, stage counts, ledger rows

    assert len(executors) == 2  # caption, generate
    for executor in executors:
        seen = executor.workers_seen
        assert len(seen) == 3
        assert all(w["sqlite_refused"] for w in seen)  # the guard was up in every worker
        assert len({w["node"] for w in seen}) == 3  # one on each node of the cluster
        shares = [w["limits"]["requests_per_minute"] for w in seen]
        assert sum(shares) == pytest.approx(RPM)  # three shares of 400 rpm
        assert all(w["limits"]["concurrency"] == 2 for w in seen)
    # Together the workers kept to the configured limit: 60 paced starts at 20 a second span
    # about 3 s (with each worker at the full limit they would span about 1 s).
    span = generation_starts[-1] - generation_starts[0]
    assert len(generation_starts) == IMAGES * 2
    assert span >= 0.8 * (len(generation_starts) - 1) / (RPM / 60)


@dataclass(frozen=True)
class _Opener:
    """A worker-side job that tries to open the project database."""

    db_path: str

    def __call__(self) -> _Opener:
        return self

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        Store(self.db_path).close()
        return []

    def take_calls(self) -> list[Any]:
        return []


@dataclass
class _OpenerJob:
    db_path: str
    name: str = "opener"
    concurrency: int = 1
    max_attempts: int = 1
    failed: list[str] = field(default_factory=list)

    def plan(self) -> tuple[int, int, Iterator[WorkUnit]]:
        return 1, 0, iter([WorkUnit("u0")])

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        raise AssertionError("the driver never attempts units itself")

    def commit(self, unit: WorkUnit, results: Sequence[Record]) -> None:
        raise AssertionError("a worker opened the database")

    def fail(self, unit: WorkUnit, error: str, raw: str | None, attempts: int) -> None:
        self.failed.append(error)

    def flush(self) -> None:
        pass

    def remote_factory(self, workers: int) -> _Opener:
        return _Opener(self.db_path)

    def record_calls(self, calls: Sequence[Any]) -> None:
        pass


def test_a_worker_cannot_open_the_database(cluster: Cluster, tmp_path: Path) -> None:
    db = tmp_path / "project.db"
    Store(db).close()  # the driver can
    with pytest.raises(RuntimeError, match="workers never open the project store"):
        RayExecutor(workers=1).run(_OpenerJob(str(db)))

"""Commits that cannot fail silently: a locked database is waited for without blocking the
event loop, and a commit that cannot be made stops the run with a message that names the
database and the lock; either way, done units = result rows = ledger rows."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from visinstruct.caption import CaptionStage
from visinstruct.config import CONFIG_FILENAME, load_config, write_config
from visinstruct.demo import run_demo
from visinstruct.errors import CommitError
from visinstruct.executors import LocalExecutor, StageSummary
from visinstruct.models.registry import create_backend
from visinstruct.project import Project
from visinstruct.store import Store


def _hold_write_lock(db_path: Path, seconds: float, held: threading.Event) -> threading.Thread:
    def hold() -> None:
        db = sqlite3.connect(db_path, isolation_level=None, timeout=5)
        db.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        db.execute("COMMIT")
        db.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(5)
    return thread


def _recaption_project(tmp_path: Path, lock_wait_s: float) -> Path:
    """The demo project with a caption setting changed: a caption unit per image to do."""
    root = run_demo(tmp_path / "demo").project
    config = load_config(root / CONFIG_FILENAME)
    config.caption.max_tokens = 321
    config.executor.lock_wait_s = lock_wait_s
    write_config(config, root / CONFIG_FILENAME)
    return root


def _counts(root: Path) -> tuple[int, int, int]:
    """(done caption units, caption rows, caption ledger rows) under the current setting."""
    with Project.open(root) as project:
        config_hash = CaptionStage.hash_of(project.config)
        db = sqlite3.connect(root / "visinstruct.db")
        done = db.execute(
            "SELECT COUNT(*) FROM work_units WHERE stage = 'caption' AND config_hash = ? "
            "AND status = 'done'",
            (config_hash,),
        ).fetchone()[0]
        rows = db.execute(
            "SELECT COUNT(*) FROM captions WHERE config_hash = ?", (config_hash,)
        ).fetchone()[0]
        calls = db.execute("SELECT COUNT(*) FROM calls WHERE stage = 'caption'").fetchone()[0]
        images = project.store.count_images()
        db.close()
    return int(done), int(rows), int(calls) - images  # less the demo's own first captions


class _LoopWatch:
    """The longest gap between ticks of the running event loop: how long it was blocked."""

    def __init__(self) -> None:
        self.longest = 0.0

    async def run(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            self.longest = max(self.longest, now - last - 0.05)
            last = now


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_a_write_lock_held_35_s_is_waited_out_and_everything_is_committed(
    tmp_path: Path,
) -> None:
    root = _recaption_project(tmp_path, lock_wait_s=120)
    held = threading.Event()
    with Project.open(root) as project:
        holder = _hold_write_lock(root / "visinstruct.db", 35, held)
        watch = _LoopWatch()
        summary = _caption_watched(project, watch)
        holder.join(5)
    n = summary.total
    assert (summary.done, summary.failed) == (n, 0)
    assert _counts(root) == (n, n, n)
    assert watch.longest < 2.0  # the loop kept running while the lock was held


def _caption_watched(project: Project, watch: _LoopWatch) -> StageSummary:
    """Run the caption stage with a watcher task on the same event loop."""
    backend = create_backend(project.config.models.get("captioner"), "captioner")
    stage = CaptionStage(project.config, project.store, backend, root=project.root)

    async def go() -> StageSummary:
        ticker = asyncio.create_task(watch.run())
        try:
            return await LocalExecutor().run_async(stage)
        finally:
            ticker.cancel()

    return asyncio.run(go())


@pytest.mark.timeout(60)
def test_a_lock_held_past_the_wait_stops_the_run_naming_it_and_stores_nothing_half(
    tmp_path: Path,
) -> None:
    root = _recaption_project(tmp_path, lock_wait_s=1.5)
    held = threading.Event()
    with Project.open(root) as project:
        holder = _hold_write_lock(root / "visinstruct.db", 4, held)
        with pytest.raises(CommitError) as caught:
            project.caption()
        holder.join(10)
    message = str(caught.value)
    assert "visinstruct.db" in message and "write lock" in message
    assert "run the same command again" in message
    done, rows, calls = _counts(root)
    assert done == rows == calls == 0
    with Project.open(root) as project:  # the next run does them
        again = project.caption()
    n = again.total
    assert (again.done, again.failed) == (n, 0)
    assert _counts(root) == (n, n, n)


def test_a_commit_that_breaks_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _recaption_project(tmp_path, lock_wait_s=5)

    def broken(*args: object, **kwargs: object) -> int:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(Store, "write_batch", broken)
    with Project.open(root) as project, pytest.raises(CommitError, match="malformed"):
        project.caption()
    monkeypatch.undo()
    assert _counts(root) == (0, 0, 0)


def _offline_project(tmp_path: Path, ship_max_mb: float = 32.0) -> Project:
    from visinstruct.config import ExecutorConfig, ModelsConfig, ModelSpec, ProjectConfig

    from conftest import make_images

    images = tmp_path / "images"
    make_images(images, {"landmark": 3, "posters": 3})
    config = ProjectConfig(
        collect={"path": images},
        models=ModelsConfig(
            captioner=ModelSpec(backend="annotations", model="annotations"),
            generator=ModelSpec(backend="template", model="template"),
        ),
        ocr={"enabled": False},
        generate={"languages": ["en"], "reject_seed_copies": False},
        executor=ExecutorConfig(ray_ship_max_mb=ship_max_mb),
    )
    return Project(tmp_path / "p", config)


def test_a_shipped_unit_is_done_on_a_worker_without_the_store_or_the_files(
    tmp_path: Path,
) -> None:
    """What a Ray worker on another node gets: the unit's inputs and its image bytes (the
    template backend measures the image and its peers), no store, no shared folder."""
    from visinstruct.generate import GenerateStage
    from visinstruct.stage import Shipment

    with _offline_project(tmp_path) as project:
        assert project.collect().accepted == 6
        project.caption()
        spec = project.config.models.generator
        assert spec is not None
        stage = GenerateStage(
            project.config, project.store, create_backend(spec, "generator"), root=project.root
        )
        units = list(stage.plan()[2])
        assert len(units) == 6
        shipped = [stage.ship(u) for u in units]
        here = {u.key: asyncio.run(stage.attempt(stage.prepare(u))) for u in units}
    for unit in shipped:
        assert isinstance(unit.payload, Shipment)
        assert len(unit.payload.files) == 6  # the image and its five peers, as bytes
    (tmp_path / "images").rename(tmp_path / "gone")  # no node but the driver had them
    worker = stage.remote_factory(1)()
    there = {u.key: asyncio.run(worker.attempt(u)) for u in shipped}
    assert there == here
    assert all(there.values())


def test_files_over_the_cap_travel_by_path(tmp_path: Path) -> None:
    with _offline_project(tmp_path, ship_max_mb=0) as project:
        project.collect()
        spec = project.config.models.captioner
        assert spec is not None
        stage = CaptionStage(
            project.config, project.store, create_backend(spec, "captioner"), root=project.root
        )
        unit = next(stage.plan()[2])
        shipment = stage.ship(unit).payload
    assert shipment.files == {}
    assert shipment.payload.path == unit.payload.path  # the worker reads the user's file


def test_a_stage_on_a_worker_has_no_store(tmp_path: Path) -> None:
    with _offline_project(tmp_path) as project:
        spec = project.config.models.captioner
        assert spec is not None
        stage = CaptionStage(
            project.config, project.store, create_backend(spec, "captioner"), root=project.root
        )
    worker = stage.remote_factory(2)()
    with pytest.raises(RuntimeError, match=r"belongs in the stage's prepare\(\)"):
        worker.store.images()

"""The Python API: a project folder and the verbs that run the engine on it.

A project folder holds ``visinstruct.yaml``, the SQLite store ``visinstruct.db`` and
``exports/``. The CLI is a thin layer over this module; notebooks use it directly.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from visinstruct.caption import CaptionStage
from visinstruct.collect import CollectReport, collect_folder
from visinstruct.config import CONFIG_FILENAME, ProjectConfig, load_config, write_config
from visinstruct.errors import ConfigError, InputError
from visinstruct.executors import LocalExecutor, Progress, StageSummary
from visinstruct.expand import single_turn
from visinstruct.export import FORMATS, ExportReport, write_llava
from visinstruct.generate import GenerateStage
from visinstruct.models.registry import create_backend
from visinstruct.records import Conversation
from visinstruct.stage import ModelStage
from visinstruct.store import Store

__all__ = ["DB_FILENAME", "Project", "StageStatus"]

DB_FILENAME = "visinstruct.db"
_MODEL_STAGES: tuple[type[ModelStage], ...] = (CaptionStage, GenerateStage)


@dataclass(frozen=True)
class StageStatus:
    stage: str
    done: int
    failed: int
    pending: int


class Project:
    """A project folder opened for work. Use as a context manager, or call :meth:`close`."""

    def __init__(self, root: str | Path, config: ProjectConfig):
        self.root = Path(root).resolve()
        self.config = config.resolve_paths(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.root / DB_FILENAME)

    @classmethod
    def open(cls, root: str | Path) -> Project:
        """Open the project in ``root`` (it must hold a ``visinstruct.yaml``)."""
        return cls(root, load_config(Path(root) / CONFIG_FILENAME))

    @classmethod
    def from_config_file(cls, path: str | Path) -> Project:
        """Open the project whose config is ``path``; the project is the file's folder."""
        path = Path(path)
        return cls(path.parent, load_config(path))

    def save_config(self) -> None:
        """Write the config into the project folder, paths inside the folder kept relative."""
        config = self.config.model_copy(deep=True)
        if config.export.dir.is_relative_to(self.root):
            config.export.dir = config.export.dir.relative_to(self.root)
        write_config(config, self.root / CONFIG_FILENAME)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the project's run lock: two runs on one project would pay for units twice."""
        handle: IO[str] = (self.root / "visinstruct.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise InputError(
                f"{self.root}: another visinstruct run is working on this project; "
                "wait for it to finish or stop it first"
            ) from exc
        try:
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    # -- stages ---------------------------------------------------------------------------

    def collect(self) -> CollectReport:
        folder = self.config.collect.path
        if folder is None:
            raise ConfigError(
                "no image folder is configured; set collect.path or pass IMAGES_DIR",
                field="collect.path",
            )
        return collect_folder(self.store, folder, self.config.collect.default_domain)

    def _run_stage(
        self, stage_cls: type[ModelStage], progress: Progress | None, retry_failed: bool
    ) -> StageSummary:
        backend = create_backend(self.config.models.get(stage_cls.role), stage_cls.role)
        stage = stage_cls(
            self.config,
            self.store,
            backend,
            progress=progress,
            retry_failed=retry_failed,
            root=self.root,
        )
        executor = LocalExecutor(progress)

        async def go() -> StageSummary:
            try:
                return await executor.run_async(stage)
            finally:
                await backend.aclose()

        return asyncio.run(go())

    def caption(
        self, progress: Progress | None = None, *, retry_failed: bool = False
    ) -> StageSummary:
        return self._run_stage(CaptionStage, progress, retry_failed)

    def generate(
        self, progress: Progress | None = None, *, retry_failed: bool = False
    ) -> StageSummary:
        return self._run_stage(GenerateStage, progress, retry_failed)

    def conversations(self) -> Iterator[Conversation]:
        """Training conversations from the instructions of the current settings."""
        root = self.config.export.image_root
        images: dict[str, Any] = {}
        for instruction in self.store.instructions(
            GenerateStage.hash_of(self.config), CaptionStage.hash_of(self.config)
        ):
            image = images.get(instruction.image_id)
            if image is None:
                images.clear()  # instructions arrive grouped by image
                image = images[instruction.image_id] = self.store.image(instruction.image_id)
            path = image.path if root is None else os.path.relpath(image.path, root)
            yield single_turn(instruction, image, path)

    def export(self, fmt: str = "llava", out: Path | None = None) -> ExportReport:
        if fmt not in FORMATS:
            raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
        path = out or (self.config.export.dir / f"{fmt}.json")
        return write_llava(self.conversations(), path)

    # -- status ---------------------------------------------------------------------------

    def stage_status(self) -> list[StageStatus]:
        rows = [StageStatus("collect", self.store.count_images(), self.store.count_rejected(), 0)]
        for stage_cls in _MODEL_STAGES:
            try:
                config_hash = stage_cls.hash_of(self.config)
            except ConfigError:
                rows.append(StageStatus(stage_cls.name, 0, 0, 0))
                continue
            counts = self.store.unit_counts(stage_cls.name, config_hash)
            total = self._count_units(stage_cls)
            pending = max(0, total - counts.done - counts.failed)
            rows.append(StageStatus(stage_cls.name, counts.done, counts.failed, pending))
        return rows

    def _count_units(self, stage_cls: type[ModelStage]) -> int:
        if stage_cls is CaptionStage:
            return self.store.count_images()
        captions = self.store.count_captions(CaptionStage.hash_of(self.config))
        return captions * len(self.config.generate.languages)

    def status(self) -> dict[str, Any]:
        """What is done, failed and pending per stage, and what the calls cost."""
        totals = self.store.call_totals()
        try:
            instructions = self.store.count_instructions(GenerateStage.hash_of(self.config))
        except ConfigError:
            instructions = 0
        return {
            "project": str(self.root),
            "stages": {
                s.stage: {"done": s.done, "failed": s.failed, "pending": s.pending}
                for s in self.stage_status()
            },
            "instructions": instructions,
            "calls": {
                "total": totals.calls,
                "ok": totals.ok,
                "retries": totals.retries,
                "errors": totals.errors,
            },
            "tokens": {
                "input": totals.input_tokens,
                "output": totals.output_tokens,
                "image": totals.image_tokens,
            },
            "cost_usd": round(totals.cost_usd, 6),
        }

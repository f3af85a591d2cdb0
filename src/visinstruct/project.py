"""The Python API: a project folder and the verbs that run the engine on it.

A project folder holds ``visinstruct.yaml``, the SQLite store ``visinstruct.db`` and
``exports/``. The CLI is a thin layer over this module; notebooks use it directly.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from visinstruct.caption import (
    CaptionImportReport,
    CaptionStage,
    ImportFormat,
    OcrReport,
    TextReader,
    import_captions,
    open_reader,
    run_ocr,
)
from visinstruct.collect import CollectReport
from visinstruct.collect.run import ExpandRequest, Sources, collect_sources, expand
from visinstruct.config import CONFIG_FILENAME, ProjectConfig, load_config, write_config
from visinstruct.errors import ConfigError, InputError
from visinstruct.executors import LocalExecutor, Progress, StageSummary
from visinstruct.executors.base import NullProgress
from visinstruct.executors.ray import RayExecutor
from visinstruct.export import WRITERS, ExportReport, ExportSource, compute_stats, write_card
from visinstruct.generate import GenerateStage
from visinstruct.models.registry import create_backend
from visinstruct.stage import ModelStage
from visinstruct.store import Store
from visinstruct.verify import (
    REPORT_FILENAME,
    AnswerStage,
    BlindStage,
    CaptionCheckStage,
    Verifier,
    write_report,
)

__all__ = ["DB_FILENAME", "Project", "StageStatus"]

DB_FILENAME = "visinstruct.db"
_MODEL_STAGES: tuple[type[ModelStage], ...] = (
    CaptionStage,
    GenerateStage,
    AnswerStage,
    BlindStage,
    CaptionCheckStage,
)


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

    def collect(
        self, sources: Sources | None = None, on_item: Callable[[], None] | None = None
    ) -> CollectReport:
        """Step (a): collect ``sources`` (default: those under ``collect:`` in the config)."""
        workers = self.config.executor.cpu_workers
        return collect_sources(
            self.store, self.config.collect, self.root, sources, on_item, workers
        )

    def expand_collection(self, request: ExpandRequest) -> CollectReport:
        """Add the pool images nearest each seed image to the seed's domain."""
        return expand(
            self.store, self.config.collect, self.root, request, self.config.executor.cpu_workers
        )

    def ocr(
        self, progress: Progress | None = None, *, reader: TextReader | None = None
    ) -> OcrReport:
        """Read the text in every image not yet read by the engine (see ``ocr.enabled``).

        Pass ``reader`` to use an engine already loaded (loading RapidOCR takes a second).
        When OCR is off, or ``auto`` and not installed, nothing is read and
        ``OcrReport.not_run`` says why.
        """
        if reader is None:
            reader, why_not = open_reader(self.config.ocr)
            if reader is None:
                return OcrReport(not_run=why_not)
        workers = self.config.executor.cpu_workers
        return run_ocr(self.store, reader, self.config.ocr.skip_domains, progress, workers)

    def import_captions(
        self,
        path: str | Path,
        *,
        fmt: ImportFormat = "reference",
        image_col: str | None = None,
        caption_col: str | None = None,
        domain: str | None = None,
        image_root: str | Path | None = None,
    ) -> CaptionImportReport:
        """Import existing captions as done caption units under the current caption settings,
        so ``generate`` uses them without a model call (see ``caption.importer``)."""
        return import_captions(
            self.store, self.config, path, fmt=fmt, image_col=image_col,
            caption_col=caption_col, domain=domain, image_root=image_root,
        )  # fmt: skip

    def _executor(self, progress: Progress | None) -> LocalExecutor | RayExecutor:
        """The executor ``executor.kind`` names; Ray is imported only when chosen."""
        ex = self.config.executor
        if ex.kind == "ray":
            models = self.config.models
            keys = {
                s.api_key_env for s in (models.captioner, models.generator, models.verifier) if s
            }
            return RayExecutor(
                progress, workers=ex.ray_workers, address=ex.ray_address, env_names=sorted(keys)
            )
        return LocalExecutor(progress)

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
        executor = self._executor(progress)

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

    def _hash_or_none(self, stage_cls: type[ModelStage]) -> str | None:
        """The stage's current settings hash; None when its role has no model (e.g. a project
        that only imported data)."""
        try:
            return stage_cls.hash_of(self.config)
        except ConfigError:
            return None

    def export_source(self) -> ExportSource:
        """The kept instructions of the current settings (plus imports), split by image."""
        return ExportSource(
            self.store,
            self.config,
            self._hash_or_none(GenerateStage),
            self._hash_or_none(CaptionStage),
        )

    def export(
        self, formats: Sequence[str] | None = None, out_dir: Path | None = None
    ) -> list[ExportReport]:
        """Write every requested format (default: ``export.formats``) and the dataset card."""
        chosen = list(formats or self.config.export.formats)
        unknown = [f for f in chosen if f not in WRITERS]
        if unknown:
            raise InputError(
                f"unknown export format {unknown[0]!r}; choose from {', '.join(WRITERS)}"
            )
        out = out_dir or self.config.export.dir
        source = self.export_source()
        reports = [r for fmt in chosen for r in WRITERS[fmt](source, out)]
        files = sorted({str(r.path.relative_to(out)) for r in reports})
        write_card(compute_stats(source), out, self.config.export.dataset_name, files)
        return reports

    def stats(self) -> dict[str, Any]:
        """The figures of the dataset an export would write (what its card shows)."""
        return compute_stats(self.export_source())

    def verify(
        self,
        progress: Progress | None = None,
        *,
        retry_failed: bool = False,
        report_json: Path | None = None,
    ) -> dict[str, Any]:
        """Score every instruction and flag the doubtful ones (see :mod:`visinstruct.verify`).

        Model checks run when ``models.verifier`` is configured; the rest always does. The
        report is returned and written to ``report_json`` (default: the export folder's
        ``verify_report.json``).
        """

        def run_stage(stage: type[ModelStage]) -> StageSummary:
            return self._run_stage(stage, progress, retry_failed)

        runner = None if self.config.models.verifier is None else run_stage
        report = Verifier(self.store, self.config, runner, progress or NullProgress()).run()
        write_report(report, report_json or self.config.export.dir / REPORT_FILENAME)
        return report

    # -- status ---------------------------------------------------------------------------

    def stage_status(self) -> list[StageStatus]:
        rows = [StageStatus("collect", self.store.count_images(), self.store.count_rejected(), 0)]
        for stage_cls in _MODEL_STAGES:
            try:
                config_hash = stage_cls.hash_of(self.config)
            except ConfigError:
                continue  # the stage's role has no model in this project
            counts = self.store.unit_counts(stage_cls.name, config_hash)
            total = stage_cls.count_units(self.config, self.store)
            pending = max(0, total - counts.done - counts.failed)
            rows.append(StageStatus(stage_cls.name, counts.done, counts.failed, pending))
        return rows

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
            "rejections": self.store.rejection_counts(),
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

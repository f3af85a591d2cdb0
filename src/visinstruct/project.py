"""The Python API: a project folder and the verbs that run the engine on it.

A project folder holds ``visinstruct.yaml``, the SQLite store ``visinstruct.db`` and
``exports/``. The CLI is a thin layer over this module; notebooks use it directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from visinstruct.export import (
    WRITERS,
    ExportReport,
    ExportSource,
    compute_stats,
    write_export,
)
from visinstruct.generate import GenerateStage
from visinstruct.models.registry import create_backend
from visinstruct.scope import dataset_scope
from visinstruct.stage import ModelStage
from visinstruct.store import DatasetScope, Store
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
        c = config.collect  # images inside the project: the folder can move with them
        if c.path is not None and c.path.is_absolute() and c.path.is_relative_to(self.root):
            c.path = c.path.relative_to(self.root)
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

        summary = asyncio.run(go())
        return dataclasses.replace(summary, duplicates=stage.writer.duplicates)

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

    def scope(self, version: str | None = None) -> DatasetScope:
        """The dataset every reader uses: the live one, or the pinned ``version``."""
        if version is not None and not self.store.has_version(version):
            known = ", ".join(v["name"] for v in self.store.versions()) or "none yet"
            raise InputError(
                f"no dataset version named {version!r} in {self.root} (pinned: {known}); "
                "pin one with `visinstruct dataset pin NAME`"
            )
        return dataset_scope(self.config, version)

    def export_source(self, version: str | None = None) -> ExportSource:
        """The kept instructions of the dataset (live, or a pinned version), split by image."""
        return ExportSource(self.store, self.config, self.scope(version), self.root)

    def export(
        self,
        formats: str | Sequence[str] | None = None,
        out_dir: Path | None = None,
        *,
        version: str | None = None,
        skip_unavailable: bool = False,
    ) -> list[ExportReport]:
        """Write the requested format or formats (default: ``export.formats``) and the
        dataset card, from the live dataset or a pinned ``version``, replacing the previous
        export folder; ``skip_unavailable``: a format needing a split the project lacks comes
        back as a skipped report instead of failing the run."""
        if isinstance(formats, str):
            formats = [formats]
        chosen = list(formats or self.config.export.formats)
        unknown = [f for f in chosen if f not in WRITERS]
        if unknown:
            raise InputError(
                f"unknown export format {unknown[0]!r}; choose from {', '.join(WRITERS)}"
            )
        out = out_dir or self.config.export.dir
        return write_export(
            self.export_source(version), chosen, out, skip_unavailable=skip_unavailable
        )

    def stats(self, version: str | None = None) -> dict[str, Any]:
        """The figures of the dataset an export would write (what its card shows)."""
        return compute_stats(self.export_source(version))

    def pin(self, name: str) -> int:
        """Freeze the live dataset as version ``name`` (members, revisions, review states,
        verdicts), to export it again later exactly as it is now. Returns its size."""
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise InputError(
                f"dataset version name {name!r}: use letters, digits, '-', '_' and '.'"
            )
        return self.store.pin_version(name, self.scope())

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

    def last_failure(self, stage: str) -> str | None:
        """The last error of a failed unit of ``stage`` (caption or generate) under the
        current settings."""
        stage_cls = {s.name: s for s in _MODEL_STAGES}[stage]
        config_hash = self._hash_or_none(stage_cls)
        if config_hash is None:
            return None
        return self.store.latest_failure(stage, config_hash)

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
        """What is done, failed and pending per stage, what the calls cost, what the dataset
        holds and what in it is stale against the current settings."""
        totals = self.store.call_totals()
        stages = self.stage_status()  # counted once: the stale part reads the same rows
        return {
            "project": str(self.root),
            "stages": {
                s.stage: {"done": s.done, "failed": s.failed, "pending": s.pending} for s in stages
            },
            "instructions": self.store.count_scope(self.scope()),
            "generation": self.generation_yield(),
            "stale": self.staleness(stages),
            "versions": [v["name"] for v in self.store.versions()],
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

    def generation_yield(self, top: int = 3) -> dict[str, Any]:
        """Under the current generate settings: per kind, how many instructions were asked
        for (per done unit), how many were kept, and the most common refusal reasons."""
        config_hash = self._hash_or_none(GenerateStage)
        if config_hash is None:
            return {}
        done = self.store.unit_counts(GenerateStage.name, config_hash).done
        g = self.config.generate
        units_per_language = GenerateStage.units_per_caption(self.config) / len(g.languages)
        per_caption_language = done / units_per_language if units_per_language else 0
        kept = self.store.kind_counts(config_hash)
        rejects = self.store.reject_reasons(GenerateStage.name, config_hash)
        out: dict[str, Any] = {}
        for kind, per_call in g.counts.items():
            if per_call <= 0:
                continue
            reasons = sorted(((n, r) for (k, r), n in rejects.items() if k == kind), reverse=True)[
                :top
            ]
            out[kind] = {
                "asked": int(per_caption_language * per_call),
                "kept": kept.get(kind, 0),
                "refused": sum(n for (k, _), n in rejects.items() if k == kind),
                "top_reasons": {r: n for n, r in reasons},
            }
        unkinded = sum(n for (k, _), n in rejects.items() if k not in g.counts)
        if unkinded:
            out["unattributed_refusals"] = unkinded
        return out

    def staleness(self, stages: list[StageStatus] | None = None) -> dict[str, Any]:
        """What in the live dataset was made under settings other than the current ones, and
        what a rerun would redo. Editing a setting never empties the dataset: it goes on
        holding the last completed generation until a run under the new settings completes."""
        stale: dict[str, Any] = {}
        checks = (
            ("generate", GenerateStage, self.store.head_settings, "come from other generate "
             "settings; `visinstruct generate` makes them under the current ones"),
            ("caption", CaptionStage, self.store.head_caption_settings, "were generated from "
             "captions of other caption settings; `visinstruct caption` then `visinstruct "
             "generate` redo them"),
        )  # fmt: skip
        for part, stage_cls, counts_of, why in checks:
            config_hash = self._hash_or_none(stage_cls)
            counts = counts_of()
            total = sum(counts.values())
            other = total - counts.get(config_hash or "", 0)
            if config_hash is not None and other:
                note = f"{other} of {total} image × language groups {why}"
                stale[part] = {"image_languages": other, "of": total, "note": note}
        for row in self.stage_status() if stages is None else stages:
            if row.stage in ("caption", "generate") and row.pending:
                stale.setdefault("pending", {})[row.stage] = row.pending
        return stale

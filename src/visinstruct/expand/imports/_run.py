"""The import driver: rows in, images and instructions into the store, one atomic unit per row.

Each row is a work unit of stage ``import`` keyed ``<adapter>:<file>#<row id>`` under config
hash ``import:<adapter>``, committed with its instruction (or its skip reason) in one
transaction. A crash loses at most the row in flight; a rerun skips finished rows and retries
failed ones; ids are content hashes, so nothing is ever stored twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from visinstruct.errors import InputError
from visinstruct.expand.imports._base import Adapter, Prepared, RowProblem, Skipped, SourceRow
from visinstruct.expand.imports._images import ImageIntake
from visinstruct.records import Instruction, Provenance, RejectedItem
from visinstruct.store import Store

__all__ = ["IMPORT_STAGE", "ImportReport", "config_hash_of", "run_import"]

IMPORT_STAGE = "import"
_KEPT_ERRORS = 50
_RAW_PREVIEW = 2000


def config_hash_of(adapter: str) -> str:
    """The config hash (and provenance model) of everything one adapter imports."""
    return f"import:{adapter}"


@dataclass
class ImportReport:
    """What one import run did. Rows outside ``--split`` or past ``--limit`` are not counted
    in ``rows``."""

    adapter: str
    source: str
    rows: int = 0
    imported: int = 0
    instructions_added: int = 0
    images_added: int = 0
    already_done: int = 0
    other_split: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    def add_error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < _KEPT_ERRORS:
            self.errors.append(message)


def _preview(raw: object) -> str | None:
    if raw is None:
        return None
    text = json.dumps(raw, ensure_ascii=False, default=repr)
    return text[:_RAW_PREVIEW]


class _Importer:
    def __init__(self, store: Store, project_root: Path, adapter: Adapter, source: Path):
        self.store = store
        self.adapter = adapter
        self.config_hash = config_hash_of(adapter.name)
        self.provenance = Provenance(
            model=self.config_hash, prompt_version="-", config_hash=self.config_hash
        )
        self.images = ImageIntake(store, project_root, source=self.config_hash)
        self.states = store.unit_states(IMPORT_STAGE, self.config_hash)
        self.report = ImportReport(adapter=adapter.name, source=str(source))

    def unit_key(self, row: SourceRow) -> str:
        return f"{self.adapter.name}:{row.key}"

    def handle(self, row: SourceRow) -> None:
        key = self.unit_key(row)
        state = self.states.get(key)
        if state is not None and state[0] == "done":
            self.report.already_done += 1
            return
        try:
            outcome = row.build()
            results = self._results(outcome)
        except RowProblem as exc:
            self._fail(row, key, str(exc), attempts=1 + (state[1] if state else 0))
            return
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            message = f"unexpected row content ({type(exc).__name__}: {exc})"
            self._fail(row, key, message, attempts=1 + (state[1] if state else 0))
            return
        self.store.complete_unit(IMPORT_STAGE, key, self.config_hash, results)
        self.states[key] = ("done", 1)
        if isinstance(outcome, Skipped):
            self.report.skipped[outcome.reason] = self.report.skipped.get(outcome.reason, 0) + 1
        else:
            self.report.imported += 1

    def _results(self, outcome: Prepared | Skipped) -> list[Instruction] | list[RejectedItem]:
        if isinstance(outcome, Skipped):
            return [RejectedItem(reason=outcome.reason, content=outcome.detail)]
        image_id = self.images.image_id(outcome.image, outcome.domain, outcome.prior)
        choices = list(outcome.choices)
        instruction = Instruction(
            id=Instruction.make_id(image_id, outcome.kind, outcome.language, outcome.question,
                                   choices, outcome.answer, caption_id=None,
                                   config_hash=self.config_hash),
            image_id=image_id, domain=outcome.domain, kind=outcome.kind,
            language=outcome.language, question=outcome.question, choices=choices,
            answer=outcome.answer, provenance=self.provenance,
        )  # fmt: skip
        return [instruction]

    def _fail(self, row: SourceRow, key: str, problem: str, attempts: int) -> None:
        message = f"{row.where}: {problem}"
        self.store.fail_unit(IMPORT_STAGE, key, self.config_hash, message, _preview(row.raw),
                             attempts)  # fmt: skip
        self.states[key] = ("failed", attempts)
        self.report.add_error(message)


def run_import(
    store: Store,
    project_root: Path,
    adapter: Adapter,
    source: Path,
    *,
    domain: str,
    split: str | None = None,
    limit: int | None = None,
) -> ImportReport:
    """Import the dataset at ``source`` with ``adapter``; bad rows are reported, not raised."""
    if split is not None and not adapter.has_split:
        raise InputError(
            f"{source}: the {adapter.name} format has no split field; "
            "point PATH at the split's own folder or file instead of passing --split"
        )
    importer = _Importer(store, project_root, adapter, source)
    before = store.count_instructions(importer.config_hash)
    first_seen: dict[str, str] = {}
    for row in adapter.rows(source, domain):
        if split is not None and row.split != split:
            importer.report.other_split += 1
            continue
        if limit is not None and importer.report.rows >= limit:
            break
        importer.report.rows += 1
        if row.key in first_seen:
            importer.report.add_error(
                f"{row.where}: row id {row.key!r} repeats (first at {first_seen[row.key]}); "
                "row ids must be unique: fix the id column or drop it from the mapping"
            )
            continue
        first_seen[row.key] = row.where
        importer.handle(row)
    report = importer.report
    report.images_added = importer.images.added
    report.instructions_added = store.count_instructions(importer.config_hash) - before
    return report

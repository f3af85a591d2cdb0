"""The import driver: rows in, images and instructions into the store, a slice at a time.

Each row is a work unit of stage ``import`` keyed ``<adapter>:<file>#<row id>`` under config
hash ``import:<adapter>``. Rows are read lazily and handled in slices of :data:`SLICE_ROWS`:
the slice's unit states are looked up in one query, and its rows' instructions (or skip
reasons, or failures) are committed in one transaction, each row's results with its done
mark. A crash loses at most the slice in flight; a rerun skips finished rows and retries
failed ones; ids are content hashes, so nothing is ever stored twice. Nothing held in memory
grows with the file, except the first location of each explicit row id (to report repeats),
kept only when the rows' ids come from a column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from visinstruct.errors import InputError
from visinstruct.expand.imports._base import Adapter, Prepared, RowProblem, Skipped, SourceRow
from visinstruct.expand.imports._images import ImageIntake
from visinstruct.records import Instruction, Provenance, RejectedItem
from visinstruct.store import Store
from visinstruct.store.sqlite import UnitWrite

__all__ = ["IMPORT_STAGE", "SLICE_ROWS", "ImportReport", "config_hash_of", "run_import"]

SLICE_ROWS = 256
"""Rows per lookup and per transaction: a commit per row cost the import most of its time,
and one slice in memory is all a file of any length needs."""

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
        self.report = ImportReport(adapter=adapter.name, source=str(source))
        # a row, or the error of a row whose id repeats (kept in order with the others')
        self.pending: list[SourceRow | str] = []

    def unit_key(self, row: SourceRow) -> str:
        return f"{self.adapter.name}:{row.key}"

    def add(self, row: SourceRow | str) -> None:
        self.pending.append(row)
        if len(self.pending) >= SLICE_ROWS:
            self.flush()

    def flush(self) -> None:
        """Build the pending rows not done yet and commit them in one transaction; the
        report counts a row only once its commit has happened."""
        rows, self.pending = self.pending, []
        if not rows:
            return
        keys = [self.unit_key(row) for row in rows if not isinstance(row, str)]
        states = self.store.unit_states_for(IMPORT_STAGE, self.config_hash, keys)
        writes: list[UnitWrite] = []
        imported, skipped, already = 0, dict[str, int](), 0
        for row in rows:
            if isinstance(row, str):
                self.report.add_error(row)
                continue
            key = self.unit_key(row)
            state = states.get(key)
            if state is not None and state[0] == "done":
                already += 1
                continue
            write, reason = self.handle(row, key, 1 + (state[1] if state else 0))
            writes.append(write)
            if reason is not None:
                skipped[reason] = skipped.get(reason, 0) + 1
            elif write.error is None:
                imported += 1
        self.store.write_batch(writes, [])
        self.report.already_done += already
        self.report.imported += imported
        for reason, count in skipped.items():
            self.report.skipped[reason] = self.report.skipped.get(reason, 0) + count

    def handle(self, row: SourceRow, key: str, attempts: int) -> tuple[UnitWrite, str | None]:
        """The row's write (results, or its failure) and its skip reason, if skipped."""
        try:
            outcome = row.build()
            results = self._results(outcome)
        except RowProblem as exc:
            return self._fail(row, key, str(exc), attempts), None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            message = f"unexpected row content ({type(exc).__name__}: {exc})"
            return self._fail(row, key, message, attempts), None
        write = UnitWrite(IMPORT_STAGE, key, self.config_hash, results)
        return write, outcome.reason if isinstance(outcome, Skipped) else None

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

    def _fail(self, row: SourceRow, key: str, problem: str, attempts: int) -> UnitWrite:
        message = f"{row.where}: {problem}"
        self.report.add_error(message)
        return UnitWrite(IMPORT_STAGE, key, self.config_hash, error=message,
                         raw=_preview(row.raw), attempts=attempts)  # fmt: skip


def _read(
    importer: _Importer,
    rows: Iterator[SourceRow],
    first_seen: dict[str, str] | None,
    split: str | None,
    limit: int | None,
) -> None:
    for row in rows:
        if split is not None and row.split != split:
            importer.report.other_split += 1
            continue
        if limit is not None and importer.report.rows >= limit:
            return
        importer.report.rows += 1
        if first_seen is not None:
            if row.key in first_seen:
                importer.add(
                    f"{row.where}: row id {row.key!r} repeats (first at {first_seen[row.key]}); "
                    "row ids must be unique: fix the id column or drop it from the mapping"
                )
                continue
            first_seen[row.key] = row.where
        importer.add(row)


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
    # keys made from positions cannot repeat; ids read from a column can
    first_seen: dict[str, str] | None = {} if getattr(adapter, "ids_may_repeat", True) else None
    try:
        _read(importer, adapter.rows(source, domain), first_seen, split, limit)
    except InputError:
        importer.flush()  # rows read before a file-level fault stay committed, as they were
        raise
    importer.flush()
    report = importer.report
    report.images_added = importer.images.added
    report.instructions_added = store.count_instructions(importer.config_hash) - before
    return report

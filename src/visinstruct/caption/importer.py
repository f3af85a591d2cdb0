"""Import captions users already paid for, so generation can use them without a model call.

Two inputs: the reference engine's caption JSONL (``image_path``, ``gpt4v_caption_interface``
= the caption, ``gpt4v_prompt``, ``bing_tag`` = prior knowledge, ``text`` = OCR lines), and
any JSONL or CSV file whose image-path and caption columns are named by the caller.

Each imported caption becomes a *done caption unit under the current caption settings*: the
same place a model caption lands. ``visinstruct run`` then skips those images in the caption
stage and ``generate`` reads their captions like any other. So import after the caption
settings (model included) are final; if they change, import again (it costs nothing, and rows
already imported under the new settings are skipped).

Rows are read lazily and committed in slices of :data:`SLICE_ROWS`: one unit-state lookup
and one transaction per slice, each caption with its done mark. A bad row is reported with the
file and line and skipped, and a crash half-way keeps every slice committed before it (a rerun
skips those rows). Imported
captions pass the same quality gate as model captions (the reference engine stored the string
"error" as a caption when a call failed), except the language check: each caption keeps the
language it is written in.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from visinstruct.caption.gate import check_caption, detect_language
from visinstruct.caption.stage import CaptionStage
from visinstruct.collect import admit_image
from visinstruct.config import ProjectConfig
from visinstruct.errors import InputError
from visinstruct.records import Caption, ImageRecord, Language, OcrLine
from visinstruct.store import Store
from visinstruct.store.sqlite import UnitWrite

__all__ = [
    "IMPORTED_OCR_ENGINE",
    "IMPORT_FORMATS",
    "CaptionImportReport",
    "ImportFormat",
    "import_captions",
]

ImportFormat = Literal["reference", "jsonl", "csv"]
IMPORT_FORMATS: tuple[ImportFormat, ...] = ("reference", "jsonl", "csv")
IMPORTED_OCR_ENGINE = "imported"
"""The OCR engine id of text lines that came with an import (our own OCR reads them again)."""

_DEFAULT_COLUMNS: dict[ImportFormat, tuple[str, str]] = {
    "reference": ("image_path", "gpt4v_caption_interface"),
    "jsonl": ("image", "caption"),
    "csv": ("image", "caption"),
}
_MAX_ERRORS = 1000
SLICE_ROWS = 256
"""Rows per unit-state lookup and per transaction."""


@dataclass
class CaptionImportReport:
    """What an import did; ``errors`` are ``file:line: message`` strings, one per bad row."""

    file: Path
    config_hash: str
    rows: int = 0
    imported: int = 0
    already: int = 0
    new_images: int = 0
    errors: list[str] = field(default_factory=list)
    more_errors: int = 0


class _RowError(Exception):
    """A row that cannot be imported; becomes one ``file:line:`` entry of the report."""


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row) for each non-blank line; a string row is the reason it is bad."""
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                yield number, f"not valid JSON ({exc})"
                continue
            yield number, row if isinstance(row, dict) else "not a JSON object"


def _csv_rows(path: Path, needed: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in needed if c not in header]
        if missing:
            raise InputError(
                f"{path}:1: no column {', '.join(repr(m) for m in missing)} in the header "
                f"(columns: {', '.join(header) or 'none'}); name the right ones with "
                "--image-col / --caption-col"
            )
        try:
            for row in reader:
                yield reader.line_num, dict(row)
        except csv.Error as exc:
            raise InputError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from exc


def _text_field(row: dict[str, Any], column: str, what: str) -> str:
    if column not in row:
        keys = ", ".join(sorted(row)) or "none"
        raise _RowError(f"no {column!r} field for the {what} (fields: {keys})")
    value = row[column]
    if not isinstance(value, str) or not value.strip():
        raise _RowError(f"{column!r} must be a non-empty string for the {what}, got {value!r}")
    return value.strip()


def _ocr_lines(value: Any) -> list[OcrLine]:
    """The reference engine's ``text`` field (a list of strings, or one string) as lines."""
    items = value if isinstance(value, list) else [value]
    texts = [" ".join(str(i).split()) for i in items if isinstance(i, str | int | float)]
    return [OcrLine(text=t) for t in texts if t]


def _prior(row: dict[str, Any]) -> dict[str, Any]:
    tags = row.get("bing_tag")
    if tags in (None, "", []):
        return {}
    return {"tags": tags}


@dataclass
class _Importer:
    store: Store
    config: ProjectConfig
    file: Path
    fmt: ImportFormat
    image_col: str
    caption_col: str
    domain: str
    image_root: Path
    language: Language | None
    model: str
    report: CaptionImportReport
    pending: list[Caption] = field(default_factory=list)

    def image_for(self, row: dict[str, Any]) -> ImageRecord:
        """The row's image, collected into the project if it is not there yet."""
        raw = Path(_text_field(row, self.image_col, "image path")).expanduser()
        path = raw if raw.is_absolute() else self.image_root / raw
        if not path.is_file():
            raise _RowError(f"image {str(path)!r} does not exist (relative paths are read "
                            f"from {str(self.image_root)!r}; see --image-root)")  # fmt: skip
        prior = _prior(row) if self.fmt == "reference" else {}
        try:
            record, added = admit_image(
                self.store, path, self.domain, source="imported", prior=prior
            )
        except InputError as exc:
            raise _RowError(str(exc)) from exc
        self.report.new_images += added
        return record

    def import_row(self, row: dict[str, Any]) -> None:
        text = _text_field(row, self.caption_col, "caption")
        failure = check_caption(text, min_chars=self.config.caption.min_chars)
        if failure is not None:
            raise _RowError(f"the caption fails the quality gate: {failure.reason}: "
                            f"{failure.message}")  # fmt: skip
        image = self.image_for(row)
        if self.fmt == "reference" and self.store.ocr_engine_of(image.id) is None:
            lines = _ocr_lines(row.get("text"))
            if lines:
                self.store.set_ocr(image.id, lines, IMPORTED_OCR_ENGINE)
        config_hash = self.report.config_hash
        self.pending.append(
            Caption(
                id=Caption.make_id(image.id, config_hash, text),
                image_id=image.id,
                text=text,
                language=self.language or detect_language(text),
                model=self.model,
                prompt_version="imported",
                config_hash=config_hash,
                source="imported",
            )
        )
        if len(self.pending) >= SLICE_ROWS:
            self.flush()

    def flush(self) -> None:
        """Commit the pending captions whose image has no done caption unit yet; an image
        named twice keeps its first caption, as a unit is done once."""
        captions, self.pending = self.pending, []
        if not captions:
            return
        stage, config_hash = CaptionStage.name, self.report.config_hash
        states = self.store.unit_states_for(stage, config_hash, [c.image_id for c in captions])
        writes: list[UnitWrite] = []
        seen: set[str] = set()
        for caption in captions:
            state = states.get(caption.image_id)
            if caption.image_id in seen or (state is not None and state[0] == "done"):
                continue
            seen.add(caption.image_id)
            writes.append(UnitWrite(stage, caption.image_id, config_hash, [caption]))
        self.store.write_batch(writes, [])
        self.report.already += len(captions) - len(writes)
        self.report.imported += len(writes)

    def error(self, line: int, message: str) -> None:
        if len(self.report.errors) < _MAX_ERRORS:
            self.report.errors.append(f"{self.file}:{line}: {message}")
        else:
            self.report.more_errors += 1


def import_captions(
    store: Store,
    config: ProjectConfig,
    path: str | Path,
    *,
    fmt: ImportFormat = "reference",
    image_col: str | None = None,
    caption_col: str | None = None,
    domain: str | None = None,
    image_root: str | Path | None = None,
    language: Language | None = None,
    model: str = "imported",
) -> CaptionImportReport:
    """Import the captions in ``path`` as done caption units under ``config``'s settings.

    Relative image paths are read from ``image_root`` (default: the file's folder). Images
    not yet in the project are collected with ``domain`` (default: ``collect.default_domain``);
    images already there keep theirs. ``language`` None detects each caption's language.
    """
    path = Path(path)
    if fmt not in IMPORT_FORMATS:
        raise InputError(
            f"unknown caption format {fmt!r}; choose one of {', '.join(IMPORT_FORMATS)}"
        )
    if not path.is_file():
        raise InputError(f"{path}: no such file to import captions from")
    default_image, default_caption = _DEFAULT_COLUMNS[fmt]
    config_hash = CaptionStage.hash_of(config)
    importer = _Importer(
        store=store,
        config=config,
        file=path,
        fmt=fmt,
        image_col=image_col or default_image,
        caption_col=caption_col or default_caption,
        domain=domain or config.collect.default_domain,
        image_root=Path(image_root) if image_root is not None else path.parent.resolve(),
        language=language,
        model=model,
        report=CaptionImportReport(file=path, config_hash=config_hash),
    )
    store.remember_stage_config(CaptionStage.name, config_hash, CaptionStage.settings_of(config))
    rows = (
        _csv_rows(path, (importer.image_col, importer.caption_col))
        if fmt == "csv"
        else _jsonl_rows(path)
    )
    try:
        for line, row in rows:
            importer.report.rows += 1
            if isinstance(row, str):
                importer.error(line, row)
                continue
            try:
                importer.import_row(row)
            except _RowError as exc:
                importer.error(line, str(exc))
    except InputError:
        importer.flush()  # rows read before a broken line stay committed, as they were
        raise
    importer.flush()
    return importer.report

"""Any table of questions: JSONL, JSON, CSV/TSV or parquet, with columns named by a mapping.

The mapping (a small YAML file, validated like the project config) names which column holds
the image, the question, the options, the answer and, optionally, the kind, domain, context,
row id and split. Images are paths (relative to the data file, or to ``image_root``) or, in
parquet, embedded bytes: a binary column or a Hugging Face ``{"bytes", "path"}`` struct.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from visinstruct.collect import domain_name
from visinstruct.errors import ConfigError, InputError
from visinstruct.expand.imports._base import Prepared, RowProblem, Skipped, SourceRow
from visinstruct.expand.imports._kinds import AnswerFormat, kind_of, prepare, prepared

__all__ = ["Columns", "Generic", "ImportMapping", "load_mapping"]

FileFormat = Literal["auto", "jsonl", "json", "csv", "tsv", "parquet"]
_SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
    ".parquet": "parquet", ".pq": "parquet",
}  # fmt: skip


class Columns(BaseModel):
    """Which column holds what. ``choices`` is one column holding a list, or one column per
    option (empty cells dropped)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str = "image"
    question: str = "question"
    answer: str = "answer"
    choices: str | list[str] | None = "choices"
    kind: str | None = None
    domain: str | None = None
    context: str | None = None
    id: str | None = None
    split: str | None = None


class ImportMapping(BaseModel):
    """How to read a generic dataset file. Every key is optional; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: FileFormat = "auto"
    columns: Columns = Field(default_factory=Columns)
    answer_format: AnswerFormat = "auto"
    index_base: int = Field(default=0, ge=0, le=1)
    domain: str | None = None
    choices_separator: str | None = None
    image_root: Path | None = None


def load_mapping(path: Path) -> ImportMapping:
    """Read a mapping YAML file; errors name the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of settings", path=str(path))
    try:
        mapping = ImportMapping.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(top level)"
            unknown = err["type"] == "extra_forbidden"
            problems.append(
                f"{field}: {'unknown key (check the spelling)' if unknown else err['msg']}"
            )
        raise ConfigError("; ".join(problems), path=str(path)) from exc
    if mapping.image_root is not None and not mapping.image_root.is_absolute():
        mapping = mapping.model_copy(update={"image_root": path.parent / mapping.image_root})
    return mapping


def _format_of(file: Path, declared: FileFormat) -> str:
    if declared != "auto":
        return declared
    fmt = _SUFFIXES.get(file.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{file}: cannot tell the format from the extension; set `format:` in the mapping "
            "(jsonl, json, csv, tsv or parquet)"
        )
    return fmt


Raw = dict[str, Any] | RowProblem


def _jsonl(file: Path) -> Iterator[tuple[str, str, Raw]]:
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value: Any = json.loads(line)
            except json.JSONDecodeError as exc:
                value = RowProblem(f"not valid JSON ({exc.msg} at column {exc.colno})")
            if not isinstance(value, (dict, RowProblem)):
                value = RowProblem("the line is not a JSON object")
            yield f"{file}:{number}", f"line {number}", value


def _json(file: Path) -> Iterator[tuple[str, str, Raw]]:
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{file}: not valid JSON ({exc}); for one object per line use .jsonl"
        ) from exc
    if not isinstance(items, list):
        raise InputError(f"{file}: expected a JSON list of row objects")
    for number, item in enumerate(items):
        value = item if isinstance(item, dict) else RowProblem("the item is not an object")
        yield f"{file}: item {number}", f"item {number}", value


def _delimited(file: Path, delimiter: str) -> Iterator[tuple[str, str, Raw]]:
    with file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        for number, row in enumerate(reader, start=1):
            value: Raw = dict(row)
            if None in row:
                value = RowProblem("the row has more cells than the header has columns")
            yield f"{file}:{reader.line_num} (row {number})", f"row {number}", value


def _parquet(file: Path) -> Iterator[tuple[str, str, Raw]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InputError(
            f"{file}: reading parquet needs pyarrow; install it with "
            "pip install 'visinstruct[parquet]'"
        ) from exc
    try:
        reader = pq.ParquetFile(file)  # type: ignore[no-untyped-call]
        number = 0
        for batch in reader.iter_batches(batch_size=256):  # type: ignore[no-untyped-call]
            for row in batch.to_pylist():
                yield f"{file}: row {number}", f"row {number}", row
                number += 1
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise InputError(f"{file}: cannot read as parquet: {exc}") from exc


def _reader(file: Path, fmt: str) -> Iterator[tuple[str, str, Raw]]:
    if fmt == "jsonl":
        return _jsonl(file)
    if fmt == "json":
        return _json(file)
    if fmt in ("csv", "tsv"):
        return _delimited(file, "," if fmt == "csv" else "\t")
    return _parquet(file)


def _present(row: Mapping[str, Any], column: str | None) -> Any:
    """The cell's value, None when the column is unnamed, absent or empty."""
    if column is None:
        return None
    value = row.get(column)
    return None if isinstance(value, str) and not value.strip() else value


def _required(row: Mapping[str, Any], column: str, what: str) -> Any:
    value = _present(row, column)
    if value is None:
        raise RowProblem(f"column {column!r} ({what}) is missing or empty")
    return value


class Generic:
    """The mapping importer. Its domain: a row's domain column, else ``--domain``, else the
    mapping's ``domain``."""

    name = "generic"
    has_split = True

    def __init__(self, mapping: ImportMapping | None = None):
        self.mapping = mapping or ImportMapping()
        self.default_domain = self.mapping.domain or ""
        # row keys are line or row positions unless the mapping names an id column
        self.ids_may_repeat = self.mapping.columns.id is not None

    def rows(self, path: Path, domain: str) -> Iterator[SourceRow]:
        if not path.is_file():
            raise InputError(f"{path}: not a file; the generic importer reads one data file")
        if not domain and self.mapping.columns.domain is None:
            raise InputError(
                f"{path}: no domain for these rows; pass --domain, set `domain:` in the "
                "mapping, or name a domain column (columns.domain)"
            )
        id_column = self.mapping.columns.id
        split_column = self.mapping.columns.split
        for where, position, raw in _reader(path, _format_of(path, self.mapping.format)):
            row_id = position
            split = None
            if isinstance(raw, dict):
                if id_column is not None and _present(raw, id_column) is not None:
                    row_id = f"id {raw[id_column]}"
                if split_column is not None and _present(raw, split_column) is not None:
                    split = str(raw[split_column]).strip()
            yield SourceRow(
                key=f"{path.resolve()}#{row_id}", where=where,
                build=partial(self._build, path, raw, domain), split=split,
                raw=raw if isinstance(raw, dict) else None,
            )  # fmt: skip

    def _build(self, file: Path, raw: Raw, domain: str) -> Prepared | Skipped:
        if isinstance(raw, RowProblem):
            raise raw
        cols = self.mapping.columns
        question = str(_required(raw, cols.question, "question"))
        answer = _required(raw, cols.answer, "answer")
        image = self._image(file, _required(raw, cols.image, "image"))
        context = _present(raw, cols.context)
        text = prepare(
            question, self._choices(raw), answer, kind=kind_of(_present(raw, cols.kind)),
            context=None if context is None else str(context).strip(),
            answer_format=self.mapping.answer_format, index_base=self.mapping.index_base,
        )  # fmt: skip
        if isinstance(text, Skipped):
            return text
        row_domain = _present(raw, cols.domain)
        chosen = domain_name(str(row_domain)) if row_domain is not None else domain
        return prepared(text, image, chosen, {"dataset": file.name})

    def _choices(self, raw: Mapping[str, Any]) -> tuple[str, ...]:
        column = self.mapping.columns.choices
        if isinstance(column, list):
            cells = (_present(raw, c) for c in column)
            return tuple(str(v) for v in cells if v is not None)
        value = _present(raw, column)
        if value is None:
            return ()
        if isinstance(value, str):
            value = self._split_choices(column or "", value)
        if not isinstance(value, (list, tuple)):
            raise RowProblem(f"column {column!r} (choices) must hold a list of options")
        return tuple(str(v) for v in value)

    def _split_choices(self, column: str, text: str) -> list[Any]:
        separator = self.mapping.choices_separator
        if separator is not None:
            return [part for part in text.split(separator) if part.strip()]
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, list):
            raise RowProblem(
                f"column {column!r} (choices) holds text that is not a JSON list; write it as "
                '["red", "blue", ...], set choices_separator, or name one column per option'
            )
        return value

    def _image(self, file: Path, value: Any) -> Path | bytes:
        if isinstance(value, dict):  # a Hugging Face Image feature: {"bytes", "path"}
            value = value.get("bytes") or value.get("path")
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, str) and value.strip():
            path = Path(value.strip()).expanduser()
            base = self.mapping.image_root or file.parent
            return path if path.is_absolute() else base / path
        raise RowProblem(
            f"the image cell must be a path or image bytes, got {type(value).__name__}"
        )

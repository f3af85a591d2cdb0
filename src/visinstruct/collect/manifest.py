"""Manifests: JSONL or CSV rows naming an image (a path or a URL) and what is known about it.

One JSON object per line (or one CSV row with the same column names)::

    {"path": "photos/cat.png", "domain": "species_recognition", "labels": ["cat"],
     "tags": ["pet"], "title": "A cat on a sofa", "text": ["known text line"],
     "chart": {"type": "bar", "title": "...", "x": ["a", "b"], "y": [1, 2], "unit": "mm"}}

``path`` is relative to the manifest's folder, or an ``http(s)`` URL (``url`` also works); every
other field is optional, and fields this reader does not know (alt text, ``source_url``,
``licence``, ...) are kept in the prior as they are. The reference crawler's records import as
they are: ``image_path`` is the path, and ``bing_tag``, ``retrieval_keyword`` and ``source`` are
kept as prior knowledge. In a CSV, list columns (tags, labels, text) are split on ``|`` or
``;`` and a cell that holds a JSON object or list is read as one. ``labels`` should name every
notable object in the image: the template generator reads a label missing from the list as absent.
A row that names a missing file, or that does not parse, is recorded as rejected with the line
number and the reason; the other rows are collected.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from visinstruct.collect.report import CollectReport
from visinstruct.errors import InputError
from visinstruct.store import Store

__all__ = [
    "ChartSpec",
    "ManifestEntry",
    "ManifestRow",
    "collect_manifest",
    "combine_reports",
    "iter_manifest",
    "read_manifest",
]

_DOMAIN = r"^[a-z][a-z0-9_]*$"


class ChartSpec(BaseModel):
    """The data a chart image plots: category ``x[i]`` has value ``y[i]``."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(default="bar", min_length=1)
    title: str | None = None
    x: list[str] = Field(min_length=1)
    y: list[float] = Field(min_length=1)
    unit: str | None = None

    @model_validator(mode="after")
    def _same_length(self) -> ChartSpec:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} entries but y has {len(self.y)}")
        return self


class ManifestRow(BaseModel):
    """One manifest line. Unknown fields are allowed and kept in the prior."""

    model_config = ConfigDict(extra="allow")

    path: str | None = Field(default=None, min_length=1)
    url: str | None = Field(default=None, min_length=1)
    domain: str | None = Field(default=None, pattern=_DOMAIN)
    tags: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    title: str | None = None
    text: list[str] = Field(default_factory=list)
    chart: ChartSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for alias in ("image_path", "image", "file"):
                if "path" not in data and isinstance(data.get(alias), str):
                    data["path"] = data.pop(alias)
            if "url" not in data and isinstance(data.get("image_url"), str):
                data["url"] = data.pop("image_url")
        return data

    @model_validator(mode="after")
    def _names_an_image(self) -> ManifestRow:
        if not self.path and not self.url:
            raise ValueError("the row names no image: give path (or image_path) or url")
        return self

    def location(self) -> str:
        """The path or URL of the image."""
        return self.path or self.url or ""

    def is_url(self) -> bool:
        return self.location().lower().startswith(("http://", "https://"))

    def prior(self) -> dict[str, Any]:
        """Everything but where the image is and its domain, empty fields left out. A URL is
        kept (as ``url``): where an image came from is worth knowing."""
        data = self.model_dump(mode="json", exclude={"path", "domain"}, exclude_none=True)
        if self.is_url() and "url" not in data:
            data["url"] = self.location()
        return {k: v for k, v in data.items() if v not in ([], {}, "")}


@dataclass(frozen=True)
class ManifestEntry:
    """A usable row: its line number, the image (a resolved local file, or a URL) and the row."""

    line: int
    file: Path
    row: ManifestRow
    url: str | None = None


@dataclass(frozen=True)
class ManifestProblem:
    """A row that names no usable image: (line, path or ``-``, reason)."""

    line: int
    path: str
    reason: str


def _problem(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(row)"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


_LIST_FIELDS = ("tags", "labels", "text")


def _csv_value(key: str, value: str) -> Any:
    text = value.strip()
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    if key in _LIST_FIELDS:
        sep = "|" if "|" in text else ";"
        return [part.strip() for part in text.split(sep) if part.strip()]
    return text


def _raw_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row dict or the reason it is not one), streamed from JSONL or CSV."""
    with path.open(encoding="utf-8", newline="", errors="strict") as handle:
        if path.suffix.lower() in (".csv", ".tsv"):
            dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
            reader = csv.DictReader(handle, dialect=dialect)
            for row in reader:
                values = {k: _csv_value(k, v) for k, v in row.items() if k and v not in (None, "")}
                if None in row:
                    yield reader.line_num, "invalid row: more cells than columns"
                    continue
                yield reader.line_num, values
            return
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield number, f"invalid row: not JSON ({exc.msg})"
                continue
            yield number, data if isinstance(data, dict) else "invalid row: not a JSON object"


def iter_manifest(path: Path) -> Iterator[ManifestEntry | ManifestProblem]:
    """Every row of the manifest, as an entry or a problem, without reading it all at once."""
    if not path.is_file():
        raise InputError(f"{path}: no such manifest; give a JSONL or CSV file of image rows")
    rows = _raw_rows(path)
    while True:
        try:
            item = next(rows)
        except StopIteration:
            return
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise InputError(
                f"{path}: cannot read the manifest ({exc}); it must be UTF-8 JSONL or CSV"
            ) from exc
        number, data = item
        if isinstance(data, str):
            yield ManifestProblem(number, "-", data)
            continue
        try:
            row = ManifestRow.model_validate(data)
        except ValidationError as exc:
            yield ManifestProblem(number, "-", f"invalid row: {_problem(exc)}")
            continue
        if row.is_url():
            yield ManifestEntry(number, Path(), row, url=row.location())
            continue
        file = Path(row.location())
        file = (file if file.is_absolute() else path.parent / file).resolve()
        if not file.is_file():
            yield ManifestProblem(
                number, str(file), f"missing file: {row.location()!r} does not exist"
            )
            continue
        yield ManifestEntry(number, file, row)


def read_manifest(path: Path) -> tuple[list[ManifestEntry], list[tuple[int, str, str]]]:
    """(entries, problems) of a whole manifest; a problem is (line number, path or ``-``,
    reason). Collecting streams with :func:`iter_manifest` instead."""
    try:
        items = list(iter_manifest(path))
    except InputError as exc:
        raise InputError(f"{exc}; set collect.manifest to a JSONL or CSV file") from exc
    entries = [i for i in items if isinstance(i, ManifestEntry)]
    problems = [(i.line, i.path, i.reason) for i in items if isinstance(i, ManifestProblem)]
    return entries, problems


def collect_manifest(store: Store, manifest: Path, default_domain: str) -> CollectReport:
    """Collect every image ``manifest`` lists, its labels kept as the image's prior.

    The same as a project collect with only this manifest and no near-duplicate pass.
    """
    from visinstruct.collect.pipeline import Collector, CollectSettings
    from visinstruct.collect.sources import manifest_source

    settings = CollectSettings(default_domain=default_domain, near_duplicate_distance=0)
    collector = Collector(store, settings)
    collector.add(manifest_source(manifest))
    return collector.finish()


def combine_reports(first: CollectReport, second: CollectReport) -> CollectReport:
    """The two reports' counts added up."""
    return first.merged(second)

"""Collect images listed in a JSONL manifest of labels, keeping the labels as prior knowledge.

One JSON object per line::

    {"path": "photos/cat.png", "domain": "species_recognition", "labels": ["cat"],
     "tags": ["pet"], "title": "A cat on a sofa", "text": ["known text line"],
     "chart": {"type": "bar", "title": "...", "x": ["a", "b"], "y": [1, 2], "unit": "mm"}}

``path`` is relative to the manifest's folder; every other field is optional, and fields this
reader does not know are kept in the prior as they are. ``labels`` should name every notable
object in the image: the template generator reads a label missing from the list as absent.
A row that names a missing file, or that does not parse, is recorded as rejected with the line
number and the reason; the other rows are collected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from visinstruct.collect.folder import CollectReport, inspect_image
from visinstruct.errors import InputError
from visinstruct.records import ImageRecord, Rejection
from visinstruct.store import Store

__all__ = ["ChartSpec", "ManifestRow", "collect_manifest", "combine_reports", "read_manifest"]

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

    path: str = Field(min_length=1)
    domain: str | None = Field(default=None, pattern=_DOMAIN)
    tags: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    title: str | None = None
    text: list[str] = Field(default_factory=list)
    chart: ChartSpec | None = None

    def prior(self) -> dict[str, Any]:
        """Everything but ``path`` and ``domain``, empty fields left out."""
        data = self.model_dump(mode="json", exclude={"path", "domain"}, exclude_none=True)
        return {k: v for k, v in data.items() if v not in ([], {}, "")}


@dataclass(frozen=True)
class ManifestEntry:
    line: int
    file: Path
    row: ManifestRow


def _problem(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(row)"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


def read_manifest(path: Path) -> tuple[list[ManifestEntry], list[tuple[int, str, str]]]:
    """(entries, problems); a problem is (line number, path or ``-``, reason)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read the manifest ({exc}); set collect.manifest to a JSONL file"
        ) from exc
    entries: list[ManifestEntry] = []
    problems: list[tuple[int, str, str]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = ManifestRow.model_validate(json.loads(raw))
        except json.JSONDecodeError as exc:
            problems.append((number, "-", f"invalid row: not JSON ({exc.msg})"))
            continue
        except ValidationError as exc:
            problems.append((number, "-", f"invalid row: {_problem(exc)}"))
            continue
        file = Path(row.path)
        file = (file if file.is_absolute() else path.parent / file).resolve()
        if not file.is_file():
            problems.append((number, str(file), f"missing file: {row.path!r} does not exist"))
            continue
        entries.append(ManifestEntry(number, file, row))
    return entries, problems


def _reject(store: Store, report: CollectReport, key: str, reason: str) -> None:
    store.record_rejection(Rejection(path=key, reason=reason), 0, 0.0)
    report.rejected += 1
    kind = reason.split(":")[0]
    report.reasons[kind] = report.reasons.get(kind, 0) + 1


def _collect_entry(
    store: Store, entry: ManifestEntry, default_domain: str, where: str, report: CollectReport
) -> None:
    key = str(entry.file)
    prior = entry.row.prior()
    stat = entry.file.stat()
    if store.source_state(key) == (stat.st_size, stat.st_mtime):
        image_id = hashlib.sha256(entry.file.read_bytes()).hexdigest()
        known = store.image_id_with_hash(image_id) is not None
        if known and store.image(image_id).prior != prior:
            store.set_prior(image_id, prior)  # the labels changed, the file did not
        report.unchanged += 1
        return
    result = inspect_image(entry.file, entry.row.domain or default_domain)
    if isinstance(result, Rejection):
        _reject(store, report, key, f"{result.reason} ({where} line {entry.line})")
        return
    first = store.image_id_with_hash(result.id)
    if first is not None and first != result.path:
        _reject(store, report, key, f"exact duplicate: same bytes as {first}")
        return
    image: ImageRecord = result.model_copy(update={"prior": prior, "source": "manifest"})
    store.record_image(image, stat.st_size, stat.st_mtime)
    report.accepted += 1


def collect_manifest(store: Store, manifest: Path, default_domain: str) -> CollectReport:
    """Collect every image ``manifest`` lists, its labels kept as the image's prior."""
    entries, problems = read_manifest(manifest)
    report = CollectReport()
    for line, path, reason in problems:
        key = path if path != "-" else f"{manifest}:{line}"
        _reject(store, report, key, f"{reason} ({manifest.name} line {line})")
    for entry in entries:
        _collect_entry(store, entry, default_domain, manifest.name, report)
    return report


def combine_reports(first: CollectReport, second: CollectReport) -> CollectReport:
    """The two reports' counts added up."""
    reasons = dict(first.reasons)
    for kind, n in second.reasons.items():
        reasons[kind] = reasons.get(kind, 0) + n
    return CollectReport(
        accepted=first.accepted + second.accepted,
        rejected=first.rejected + second.rejected,
        unchanged=first.unchanged + second.unchanged,
        reasons=reasons,
    )

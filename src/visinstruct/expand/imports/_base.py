"""What every importer hands the import driver: rows, each turning into an instruction or a skip.

An adapter only reads its format. It yields one :class:`SourceRow` per source item with a stable
key and a human-readable location; turning the row into an instruction is deferred to
``row.build()`` so rows an earlier run already imported cost nothing on a rerun. Images, the
store and the report belong to the driver, so a new format is a reader and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from visinstruct.errors import InputError
from visinstruct.records import Kind, Language

__all__ = [
    "Adapter",
    "Prepared",
    "RowProblem",
    "Skipped",
    "SourceRow",
    "data_file",
    "first_existing",
    "load_json",
    "optional_text",
    "require_text",
]


class RowProblem(Exception):
    """One row cannot be imported as written; the message says what is wrong with it.

    Internal to the importers: the driver turns it into a per-row error naming file and row,
    records the row as failed and goes on with the next one.
    """


@dataclass(frozen=True)
class Prepared:
    """A row that becomes one instruction about one image."""

    image: Path | bytes
    domain: str
    kind: Kind
    language: Language
    question: str
    choices: tuple[str, ...]
    answer: str
    prior: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A well-formed row that fits none of the four kinds. ``reason`` is a category that the
    report counts, so it must not contain anything row-specific; ``detail`` may."""

    reason: str
    detail: str = ""


@dataclass(frozen=True)
class SourceRow:
    key: str
    where: str
    build: Callable[[], Prepared | Skipped]
    split: str | None = None
    raw: Any = None


class Adapter(Protocol):
    """A reader of one dataset format. An adapter whose row keys cannot repeat (positions,
    a JSON object's keys) may say so with ``ids_may_repeat = False``, which spares the driver
    remembering every key it has seen."""

    name: str
    default_domain: str
    has_split: bool

    def rows(self, path: Path, domain: str) -> Iterator[SourceRow]:
        """The rows of the dataset at ``path``; file-level problems raise :class:`InputError`."""
        ...


def data_file(path: Path, names: tuple[str, ...], fmt: str) -> Path:
    """The annotation file: ``path`` itself, or the first of ``names`` inside the folder."""
    if path.is_file():
        return path
    if path.is_dir():
        for name in names:
            if (path / name).is_file():
                return path / name
        wanted = " or ".join(names)
        raise InputError(f"{path}: no {wanted} in this folder; pass the {fmt} annotation file")
    raise InputError(f"{path}: no such file or folder")


def load_json(path: Path) -> Any:
    """Parse a JSON annotation file; a broken file is a file-level error (no row can be read)."""
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); is this the right file?") from exc


def problem_rows(
    file: Path,
    fmt: str,
    domain: str,
    build: Callable[[Path, str, Any, str], Prepared | Skipped],
) -> Iterator[SourceRow]:
    """Rows of a ``problems.json``-style file (an object of problem id → problem), the layout
    ScienceQA and TabMWP share; ``build(folder, id, problem, domain)`` turns one into records."""
    problems = load_json(file)
    if not isinstance(problems, dict):
        raise InputError(f"{file}: expected an object of problem id → problem ({fmt})")
    for pid, problem in problems.items():
        split = problem.get("split") if isinstance(problem, dict) else None
        yield SourceRow(
            key=f"{file.resolve()}#{pid}",
            where=f"{file}: problem {pid}",
            build=partial(build, file.parent, str(pid), problem, domain),
            split=str(split) if split is not None else None,
            raw=problem,
        )


def require_text(row: Mapping[str, Any], name: str) -> str:
    """A non-empty string (or number) field of ``row``, stripped."""
    value = row.get(name)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        shown = "missing" if value is None else f"a {type(value).__name__}"
        raise RowProblem(f"field {name!r} is {shown}; it must be text")
    text = str(value).strip()
    if not text:
        raise RowProblem(f"field {name!r} is empty")
    return text


def optional_text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None or isinstance(value, (list, dict)):
        return None
    text = str(value).strip()
    return text or None


def first_existing(candidates: list[Path]) -> Path:
    """The first candidate image path that exists; the error lists every place looked at."""
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise RowProblem(f"image not found (looked at {tried}); check the dataset's image folder")

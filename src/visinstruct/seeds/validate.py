"""Checks for seed-bank files, shared by loading (errors only) and ``visinstruct seeds validate``.

A problem is an *error* when the file cannot be used as it is (bad YAML, wrong shape, broken
placeholders, blank entries, a domain name that does not match the file) and a *warning* when
the file works but teaches the generator less than it should (duplicates, misaligned
translations, text in the wrong script). Loading refuses errors only, so a bank imported from
elsewhere with a misaligned list still runs; ``validate`` reports both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from visinstruct.errors import InputError
from visinstruct.records import KINDS, LANGUAGES, Kind, Language
from visinstruct.seeds import _text
from visinstruct.seeds.schema import Domain

__all__ = [
    "SEED_SUFFIXES",
    "Problem",
    "ProblemCode",
    "Severity",
    "ValidationReport",
    "check_text",
    "seed_files",
    "validate_file",
    "validate_path",
]

Severity = Literal["error", "warning"]
ProblemCode = Literal[
    "yaml",
    "schema",
    "empty",
    "placeholder",
    "domain",
    "duplicate",
    "near_duplicate",
    "count_mismatch",
    "language",
]
_ERROR_CODES: frozenset[str] = frozenset({"yaml", "schema", "empty", "placeholder", "domain"})
SEED_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Problem:
    """One defect: the file, the entry (e.g. ``seeds.judgement.zh[3]``) and what is wrong."""

    file: str
    entry: str
    message: str
    code: ProblemCode = "schema"
    severity: Severity = field(init=False)

    def __post_init__(self) -> None:
        severity: Severity = "error" if self.code in _ERROR_CODES else "warning"
        object.__setattr__(self, "severity", severity)

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


@dataclass
class ValidationReport:
    """The outcome of validating a file or a folder of files."""

    files: list[str] = field(default_factory=list)
    seeds: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _cell_entry(kind: str, language: str, index: int | None = None) -> str:
    base = f"seeds.{kind}.{language}"
    return base if index is None else f"{base}[{index}]"


def _loc_entry(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


_EXPECTED_KEYS = {
    1: "domain, title, description, seeds",
    2: ", ".join(KINDS),
    3: ", ".join(LANGUAGES),
}


def _schema_message(err: Any) -> tuple[ProblemCode, str]:
    kind, loc = err["type"], err["loc"]
    if kind == "extra_forbidden":
        expected = _EXPECTED_KEYS.get(len(loc), "")
        return "schema", f"unknown key; expected one of: {expected}"
    if kind == "missing":
        if len(loc) == 2:
            return "empty", f"missing kind; every domain needs all of {_EXPECTED_KEYS[2]}"
        if len(loc) == 3:
            return "empty", "missing language list; every kind needs both en and zh"
        return "schema", "missing key"
    if kind == "too_short" and len(loc) == 3:
        return "empty", "empty list; add at least one seed question"
    if kind == "string_pattern_mismatch":
        return "schema", "must be a lowercase identifier such as image_quality"
    return "schema", str(err["msg"])


def _parse(text: str, file: str) -> tuple[Any, list[Problem]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        entry = f"line {mark.line + 1}" if mark is not None else "(file)"
        return None, [Problem(file, entry, f"not valid YAML: {exc}", "yaml")]
    if not isinstance(data, dict):
        msg = "the top level must be a mapping with domain, title, description and seeds"
        return None, [Problem(file, "(top level)", msg, "schema")]
    return data, []


def _cells(data: dict[str, Any]) -> Iterator[tuple[Kind, Language, list[tuple[int, str]]]]:
    """Every kind × language list of the raw data that is a list, with its string entries."""
    seeds = data.get("seeds")
    if not isinstance(seeds, dict):
        return
    for kind in KINDS:
        per_lang = seeds.get(kind)
        if not isinstance(per_lang, dict):
            continue
        for lang in LANGUAGES:
            items = per_lang.get(lang)
            if isinstance(items, list):
                yield kind, lang, [(i, s) for i, s in enumerate(items) if isinstance(s, str)]


def _entry_problems(file: str, kind: Kind, lang: Language, i: int, text: str) -> list[Problem]:
    entry = _cell_entry(kind, lang, i)
    if not text.strip():
        return [Problem(file, entry, "blank question", "empty")]
    out = [Problem(file, entry, msg, "placeholder") for msg in _text.placeholder_errors(text)]
    if lang == "zh" and not _text.has_cjk_ideograph(text):
        out.append(Problem(file, entry, "a zh entry must contain Chinese characters", "language"))
    if lang == "en" and (char := _text.first_cjk(text)) is not None:
        msg = f"an en entry must not contain CJK characters (found {char!r})"
        out.append(Problem(file, entry, msg, "language"))
    return out


@dataclass(frozen=True)
class _Forms:
    """The comparable forms of one entry, computed once per entry rather than once per pair."""

    raw: str
    norm: str
    skel: str
    canon: str
    norm_grams: frozenset[str]
    canon_grams: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Forms:
        norm, canon = _text.normalise(text), _text.canonical(text)
        grams = frozenset(_text.trigrams(norm)), frozenset(_text.trigrams(canon))
        return cls(text, norm, _text.skeleton(text), canon, *grams)


def _duplicate_problems(
    file: str, kind: Kind, lang: Language, items: list[tuple[int, str]]
) -> list[Problem]:
    """Each entry that repeats an earlier one, named at the later entry."""
    out: list[Problem] = []
    seen: list[tuple[int, _Forms]] = []
    for i, text in items:
        forms = _Forms.of(text)
        if not forms.norm:
            continue
        for j, earlier in seen:
            found = _compare(forms, earlier, _cell_entry(kind, lang, j))
            if found is not None:
                out.append(Problem(file, _cell_entry(kind, lang, i), found[1], found[0]))
                break
        seen.append((i, forms))
    return out


def _compare(a: _Forms, b: _Forms, earlier: str) -> tuple[ProblemCode, str] | None:
    if a.raw == b.raw:
        return "duplicate", f"exact duplicate of {earlier}"
    if a.norm == b.norm:
        return "duplicate", f"duplicate of {earlier} (differs only in case, punctuation or spaces)"
    if a.skel == b.skel:
        return "near_duplicate", f"near-duplicate of {earlier} (differs only inside <...>)"
    if a.canon == b.canon:
        msg = "differs only in articles, fillers or words like image/picture"
        return "near_duplicate", f"near-duplicate of {earlier} ({msg})"
    floor = _text.NEAR_DUPLICATE_JACCARD  # a pair that cannot reach it is not intersected
    score = max(
        _text.jaccard_from(a.norm_grams, b.norm_grams, floor),
        _text.jaccard_from(a.canon_grams, b.canon_grams, floor),
    )
    if score >= floor:
        return "near_duplicate", f"near-duplicate of {earlier} (similarity {score:.2f})"
    return None


def _quality_problems(data: dict[str, Any], file: str) -> list[Problem]:
    out: list[Problem] = []
    lengths: dict[Kind, dict[Language, int]] = {}
    for kind, lang, items in _cells(data):
        lengths.setdefault(kind, {})[lang] = len(data["seeds"][kind][lang])
        for i, text in items:
            out.extend(_entry_problems(file, kind, lang, i, text))
        out.extend(_duplicate_problems(file, kind, lang, items))
    for kind, per_lang in lengths.items():
        en, zh = per_lang.get("en"), per_lang.get("zh")
        if en is not None and zh is not None and en != zh:
            msg = f"en has {en} questions but zh has {zh}; zh[i] must translate en[i]"
            out.append(Problem(file, f"seeds.{kind}", msg, "count_mismatch"))
    return out


def check_text(text: str, file: str, stem: str) -> tuple[Domain | None, list[Problem]]:
    """Parse and check one file's text; the domain is returned when its shape is valid.

    ``stem`` is the file name without its suffix, which the ``domain`` field must equal so that
    a later file can replace an earlier one by name without surprises.
    """
    data, problems = _parse(text, file)
    if data is None:
        return None, problems
    domain: Domain | None = None
    try:
        domain = Domain.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            code, msg = _schema_message(err)
            problems.append(Problem(file, _loc_entry(tuple(err["loc"])), msg, code))
    name = data.get("domain")
    if isinstance(name, str) and name != stem:
        msg = f"is {name!r} but the file is named {stem!r}; they must be equal"
        problems.append(Problem(file, "domain", msg, "domain"))
    problems.extend(_quality_problems(data, file))
    return domain, problems


def _check_path(path: Path) -> tuple[Domain | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), "(file)", f"cannot be read: {exc}", "yaml")]
    return check_text(text, str(path), path.stem)


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem of one seed file (errors and warnings); empty when the file is clean."""
    return _check_path(Path(path))[1]


def seed_files(folder: Path) -> list[Path]:
    """The seed files of a folder, sorted by name so later-wins order is predictable."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SEED_SUFFIXES)


def validate_path(path: str | Path) -> ValidationReport:
    """Validate one file or every ``*.yaml`` file of a folder."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such seed file or folder")
    files = seed_files(path) if path.is_dir() else [path]
    report = ValidationReport(files=[str(f) for f in files])
    if not files:
        msg = "no seed files (*.yaml) in this folder"
        report.problems.append(Problem(str(path), "(folder)", msg, "empty"))
    for file in files:
        domain, problems = _check_path(file)
        report.problems.extend(problems)
        report.seeds += domain.total() if domain is not None else 0
    return report

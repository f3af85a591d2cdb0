"""Importing seed files written for the MMInstruct reference engine.

The reference keeps one JSON file per domain, named like ``00009_ocr.json``, with the keys
``judge``, ``choice`` and ``sentence``, each ``{"Chinese": [...], "English": [...]}``. Several of
its files are empty and one has language lists of different lengths, so the importer never
stops at a bad file: it reports each one with the reason and carries on with the rest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from visinstruct.errors import InputError
from visinstruct.records import KINDS, LANGUAGES, Kind, Language
from visinstruct.seeds.validate import validate_file

__all__ = ["ImportReport", "ImportedFile", "SkippedFile", "import_reference"]

# ``sentence`` holds open questions; the reference uses them for both answer lengths.
_KIND_SOURCES: dict[Kind, str] = {
    "judgement": "judge",
    "multiple_choice": "choice",
    "long_vqa": "sentence",
    "short_vqa": "sentence",
}
_LANGUAGE_SOURCES: dict[Language, str] = {"en": "English", "zh": "Chinese"}
_PREFIX = re.compile(r"^\d+[_-]")
_ACRONYMS = {"ocr": "OCR", "vqa": "VQA"}
# Reference file names that spell a domain differently from the shipped bank; mapping them lets
# an imported file replace the shipped domain instead of appearing as a second one.
_ALIASES = {"structuralized_imagetext_understanding": "structuralized_image_text_understanding"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ImportedFile(_Frozen):
    """A reference file written out in our format, with anything that looked wrong in it."""

    source: str
    domain: str
    output: str
    counts: dict[Kind, dict[Language, int]]
    warnings: list[str] = Field(default_factory=list)


class SkippedFile(_Frozen):
    """A reference file that could not be imported, and why."""

    source: str
    reason: str


class ImportReport(_Frozen):
    imported: list[ImportedFile] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [f"{f.source}: {w}" for f in self.imported for w in f.warnings]


def _domain_name(stem: str) -> str:
    name = _PREFIX.sub("", stem).lower()
    name = re.sub(r"[^a-z0-9_]+", "_", name).strip("_")
    name = _ALIASES.get(name, name)
    return name if re.match(r"^[a-z]", name) else f"domain_{name}"


def _title(domain: str) -> str:
    words = [_ACRONYMS.get(w, w) for w in domain.split("_")]
    first = words[0] if words[0].isupper() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def _read_json(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The file's top-level object, or ``None`` and the reason it cannot be used."""
    raw = path.read_bytes()
    if not raw:
        return None, "empty file (0 bytes)"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text: {exc}"
    if not text.strip():
        return None, "empty file (only whitespace)"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc}"
    if not isinstance(data, dict):
        return None, "the top level is not a JSON object"
    if not data:
        return None, "empty JSON object ({})"
    return data, None


def _convert(data: dict[str, Any]) -> tuple[dict[str, dict[str, list[str]]] | None, str]:
    """Our ``seeds`` mapping from the reference layout, or ``None`` and why not."""
    unknown = sorted(set(data) - set(_KIND_SOURCES.values()))
    if unknown:
        return None, f"unexpected keys {unknown}; expected judge, choice and sentence"
    seeds: dict[str, dict[str, list[str]]] = {}
    for kind in KINDS:
        section = data.get(_KIND_SOURCES[kind])
        if not isinstance(section, dict):
            return None, f"no {_KIND_SOURCES[kind]!r} section with Chinese and English lists"
        seeds[kind] = {}
        for lang in LANGUAGES:
            items = section.get(_LANGUAGE_SOURCES[lang])
            if not isinstance(items, list) or not items:
                where = f"{_KIND_SOURCES[kind]}.{_LANGUAGE_SOURCES[lang]}"
                return None, f"{where} is missing or empty"
            if not all(isinstance(s, str) for s in items):
                return None, f"{_KIND_SOURCES[kind]}.{_LANGUAGE_SOURCES[lang]} holds non-text items"
            seeds[kind][lang] = [s.strip() for s in items]
    return seeds, ""


def _misalignment(data: dict[str, Any]) -> list[str]:
    out = []
    for key in dict.fromkeys(_KIND_SOURCES.values()):
        zh, en = len(data[key]["Chinese"]), len(data[key]["English"])
        if zh != en:
            out.append(
                f"{key}: Chinese has {zh} questions but English has {en}; imported as they are, "
                "so align the lists by hand (zh[i] must translate en[i])"
            )
    return out


def _dump(domain: str, source: Path, seeds: dict[str, dict[str, list[str]]]) -> str:
    body = {
        "domain": domain,
        "title": _title(domain),
        "description": f"Imported from the MMInstruct reference seed file {source.name}.",
        "seeds": seeds,
    }
    header = f"# Imported by `visinstruct seeds import` from {source.name}.\n"
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=1000)


def _reference_files(path: Path) -> list[Path]:
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix == ".json")


def _import_one(path: Path, out_dir: Path, overwrite: bool) -> ImportedFile | SkippedFile:
    data, reason = _read_json(path)
    if data is None:
        return SkippedFile(source=str(path), reason=reason or "unusable")
    seeds, why = _convert(data)
    if seeds is None:
        return SkippedFile(source=str(path), reason=why)
    domain = _domain_name(path.stem)
    target = out_dir / f"{domain}.yaml"
    if target.exists() and not overwrite:
        return SkippedFile(source=str(path), reason=f"{target} exists; pass --force to replace it")
    target.write_text(_dump(domain, path, seeds), encoding="utf-8")
    # The validator's findings travel with the report; the misalignment note says more than
    # its count check, so that one is not repeated.
    later = [f"{p.entry}: {p.message}" for p in validate_file(target) if p.code != "count_mismatch"]
    counts = {k: {lang: len(seeds[k][lang]) for lang in LANGUAGES} for k in KINDS}
    return ImportedFile(
        source=str(path),
        domain=domain,
        output=str(target),
        counts=counts,
        warnings=_misalignment(data) + later,
    )


def import_reference(
    path: str | Path, out_dir: str | Path, *, overwrite: bool = False
) -> ImportReport:
    """Convert a reference seed file, or a folder of them, into ``<out_dir>/<domain>.yaml``.

    Unusable files (empty, ``{}``, broken JSON, wrong layout) are listed in
    ``ImportReport.skipped`` with the reason; nothing is raised for them. An existing output
    file is kept unless ``overwrite`` is true, so a hand-corrected import is not lost.
    """
    files = _reference_files(Path(path))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    imported: list[ImportedFile] = []
    skipped: list[SkippedFile] = []
    claimed: dict[str, str] = {}
    for file in files:
        domain = _domain_name(file.stem)
        if domain in claimed:
            reason = f"domain {domain!r} was already imported from {claimed[domain]}"
            skipped.append(SkippedFile(source=str(file), reason=reason))
            continue
        result = _import_one(file, out, overwrite)
        if isinstance(result, ImportedFile):
            imported.append(result)
            claimed[domain] = str(file)
        else:
            skipped.append(result)
    return ImportReport(imported=imported, skipped=skipped)

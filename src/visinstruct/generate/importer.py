"""Import the MMInstruct reference engine's saved generations through our parser and checks.

The reference engine appended one JSON line per call: ``image_path``, ``qa_raw`` (the model's
tagged reply, or the string "error" when every retry failed) and ``gpt_prompt`` (the prompt,
which holds the caption and the seed questions). Rows it could not finish carry ``err``
instead. Each usable row becomes one work unit of the ``import_generations`` stage, keyed by
its content, so importing a file twice adds nothing and an interrupted import resumes. The
file is read line by line and handled in slices of :data:`SLICE_ROWS` rows: one unit-state
lookup and one transaction per slice (each row's records with its done mark), so memory does
not grow with the file and a crash loses at most the slice in flight. The
instructions land under a config hash starting with ``import:``, which is how the store and
the exports tell imported instructions from generated ones.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from visinstruct.collect import admit_image, domain_name
from visinstruct.errors import InputError, OutputParseError
from visinstruct.generate.parse import parse_reply
from visinstruct.generate.validate import Rules, Verdict, han_share, judge_items
from visinstruct.records import (
    Caption,
    ImageRecord,
    Instruction,
    Kind,
    Language,
    Provenance,
    Record,
    RejectedItem,
    content_id,
)
from visinstruct.store import Store
from visinstruct.store.sqlite import UnitWrite

__all__ = ["IMPORT_STAGE", "GenerationImportReport", "import_generations", "import_hash"]

IMPORT_STAGE = "import_generations"
REFERENCE_VERSION = "reference"
SLICE_ROWS = 256
"""Rows per unit-state lookup and per transaction."""

_KIND_HINTS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("multiple_choice", re.compile(r"multiple choice|单项选择|选择题", re.IGNORECASE)),
    ("long_vqa", re.compile(r"long question answering|长问答", re.IGNORECASE)),
    ("short_vqa", re.compile(r"short question answering|短问答", re.IGNORECASE)),
    ("judgement", re.compile(r"true or false|判断题", re.IGNORECASE)),
)
_DOMAIN_HINT = re.compile(r"related to the ([^.\n]{1,60}?)\s*\.|与([^\n，。]{1,40}?)相关的")
_CAPTION = re.compile(
    r"(?:Description|描述)\s*[:：]\s*(.*?)\s*\n\s*(?:Question|问题)\s*[:：]", re.DOTALL
)
_BRACED = re.compile(r"(<\s*[QCAqca]\s*\d{1,3}\s*>)\s*\{([^{}<>]*)\}\s*(?=<)")
_SEEDS = re.compile(r"(?:Question|问题)\s*[:：]\s*(\[.*?\])", re.DOTALL)


@dataclass
class GenerationImportReport:
    """What an import did. ``skipped`` lists (line number, reason) of rows not imported."""

    rows: int = 0
    instructions: int = 0
    rejected_items: int = 0
    failed_rows: int = 0
    already_done: int = 0
    images_added: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)


def import_hash(rules: Rules) -> str:
    """The config hash imported instructions are stored under (new checks, new import)."""
    return "import:generations:" + content_id(REFERENCE_VERSION, rules.settings())[:16]


def unbrace(raw: str) -> str:
    """``raw`` without the braces the reference prompt's ``<Q1> {the generated question 1}
    </Q1>`` template leaves around whole fields (its own artefact, not the model's text)."""
    return _BRACED.sub(r"\1\2", raw)


def kind_of_prompt(prompt: str) -> Kind | None:
    """The kind a reference prompt asked for, when exactly one kind's wording is in it."""
    found = [kind for kind, pattern in _KIND_HINTS if pattern.search(prompt)]
    return found[0] if len(found) == 1 else None


def _domain_of(prompt: str, image_path: Path) -> str:
    match = _DOMAIN_HINT.search(prompt)
    if match:
        name = (match.group(1) or match.group(2) or "").strip()
        name = re.sub(r"^\d+_", "", name)
        if name and "<" not in name:
            return domain_name(name)
    parent = re.sub(r"^\d+_", "", image_path.parent.name)
    return domain_name(parent) if parent else "image_description"


def _seeds_of(prompt: str) -> list[str]:
    match = _SEEDS.search(prompt)
    if not match:
        return []
    try:
        value = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return []
    return [s for s in value if isinstance(s, str)] if isinstance(value, list) else []


def _resolve(image_path: str, source: Path, images_root: Path | None) -> Path | None:
    path = Path(image_path)
    if path.is_absolute():
        return path if path.is_file() else None
    for base in (images_root, source.parent, Path.cwd()):
        if base is not None and (base / path).is_file():
            return base / path
    return None


class _Row(NamedTuple):
    """A usable row waiting for its slice: its unit key and what its records are made from."""

    key: str
    image: ImageRecord
    raw: str
    prompt: str
    kind: Kind | None
    language: Language


@dataclass
class _Counts:
    """What one slice adds to the report, added only once the slice is committed."""

    instructions: int = 0
    rejected_items: int = 0
    failed_rows: int = 0
    already_done: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class _Importer:
    store: Store
    source: Path
    rules: Rules
    kind: Kind | None
    language: Language | None
    images_root: Path | None
    domain: str | None
    model: str
    report: GenerationImportReport = field(default_factory=GenerationImportReport)
    pending: list[_Row] = field(default_factory=list)

    @property
    def config_hash(self) -> str:
        return import_hash(self.rules)

    def image(self, row: dict[str, Any], prompt: str) -> ImageRecord | str:
        """The row's image, collected into the store if new, or why it cannot be."""
        raw_path = row.get("image_path")
        if not isinstance(raw_path, str) or not raw_path:
            return "no image_path"
        path = _resolve(raw_path, self.source, self.images_root)
        if path is None:
            return f"image not found: {raw_path} (pass --images-root to say where images are)"
        domain = self.domain or _domain_of(prompt, path)
        try:
            image, added = admit_image(self.store, path, domain, source="reference-import")
        except InputError as exc:
            return str(exc)
        self.report.images_added += added
        return image

    def row(self, number: int, row: dict[str, Any]) -> None:
        raw, prompt = row.get("qa_raw"), row.get("gpt_prompt")
        prompt = prompt if isinstance(prompt, str) else ""
        if "err" in row or not isinstance(raw, str) or raw.strip() in ("", "error"):
            said = row.get("err") or "no reply was saved"
            self.report.skipped.append((number, f"the reference call failed: {said}"))
            return
        image = self.image(row, prompt)
        if isinstance(image, str):
            self.report.skipped.append((number, image))
            return
        kind = self.kind or kind_of_prompt(prompt)
        language: Language = self.language or ("zh" if han_share(raw) > 0.3 else "en")
        key = content_id(image.id, raw, kind, language)
        self.pending.append(_Row(key, image, raw, prompt, kind, language))
        if len(self.pending) >= SLICE_ROWS:
            self.flush()

    def flush(self) -> None:
        """Check the pending rows against the store and commit those not done yet."""
        rows, self.pending = self.pending, []
        if not rows:
            return
        states = self.store.unit_states_for(IMPORT_STAGE, self.config_hash, [r.key for r in rows])
        counts, writes, seen = _Counts(), list[UnitWrite](), set[str]()
        for r in rows:
            state = states.get(r.key)
            if r.key in seen or (state is not None and state[0] == "done"):
                counts.already_done += 1
                continue
            seen.add(r.key)
            writes.append(self.unit(r, counts))
        self.store.write_batch(writes, [])
        report = self.report
        report.instructions += counts.instructions
        report.rejected_items += counts.rejected_items
        report.failed_rows += counts.failed_rows
        report.already_done += counts.already_done
        for code, n in counts.reasons.items():
            report.reasons[code] = report.reasons.get(code, 0) + n

    def unit(self, r: _Row, counts: _Counts) -> UnitWrite:
        """The row's write: its records, or why it has none."""
        seeds = _seeds_of(r.prompt)
        try:
            items = parse_reply(unbrace(r.raw), "auto")
        except OutputParseError as exc:
            return self._fail(r, str(exc), counts)
        verdict = judge_items(items, r.language, self.rules, expected=r.kind, seeds=seeds)
        for reject in verdict.rejects:
            counts.reasons[reject.code] = counts.reasons.get(reject.code, 0) + 1
        if not verdict.drafts:
            reasons = "; ".join(x.reason for x in verdict.rejects[:5])
            hint = "" if r.kind else "; the prompt names no kind: pass --kind"
            return self._fail(r, f"no usable instruction in the row ({reasons}){hint}", counts)
        records = self.records(r.image, r.prompt, r.language, seeds, verdict)
        counts.instructions += len(verdict.drafts)
        counts.rejected_items += len(verdict.rejects)
        return UnitWrite(IMPORT_STAGE, r.key, self.config_hash, records)

    def _fail(self, r: _Row, error: str, counts: _Counts) -> UnitWrite:
        counts.failed_rows += 1
        return UnitWrite(IMPORT_STAGE, r.key, self.config_hash, error=error, raw=r.raw,
                         attempts=1)  # fmt: skip

    def records(
        self,
        image: ImageRecord,
        prompt: str,
        language: Language,
        seeds: list[str],
        verdict: Verdict,
    ) -> list[Record]:
        records: list[Record] = []
        caption_id = None
        found = _CAPTION.search(prompt)
        if found and found.group(1).strip():
            text = found.group(1).strip()
            if text.endswith(".."):  # the reference wrote "Description: <caption>. "
                text = text[:-1]
            caption_id = Caption.make_id(image.id, self.config_hash, text)
            records.append(
                Caption(
                    id=caption_id,
                    image_id=image.id,
                    text=text,
                    language="zh" if han_share(text) > 0.3 else "en",
                    model=self.model,
                    prompt_version=REFERENCE_VERSION,
                    config_hash=self.config_hash,
                    source="imported",
                )
            )
        provenance = Provenance(
            model=self.model,
            prompt_version=REFERENCE_VERSION,
            config_hash=self.config_hash,
            caption_id=caption_id,
            seed_questions=seeds,
        )
        for d in verdict.drafts:
            records.append(
                Instruction(
                    id=Instruction.make_id(
                        image.id,
                        d.kind,
                        language,
                        d.question,
                        list(d.choices),
                        d.answer,
                        caption_id=caption_id,
                        config_hash=self.config_hash,
                    ),
                    image_id=image.id,
                    domain=image.domain,
                    kind=d.kind,
                    language=language,
                    question=d.question,
                    choices=list(d.choices),
                    answer=d.answer,
                    provenance=provenance,
                )
            )
        records.extend(
            RejectedItem(reason=r.reason, content=r.raw, kind=r.kind) for r in verdict.rejects
        )
        return records


def import_generations(
    store: Store,
    path: str | Path,
    rules: Rules,
    *,
    kind: Kind | None = None,
    language: Language | None = None,
    images_root: Path | None = None,
    domain: str | None = None,
    model: str = REFERENCE_VERSION,
) -> GenerationImportReport:
    """Import a reference-engine JSONL file of generations into ``store``.

    ``kind`` and ``language`` override what is inferred (kind from the row's prompt or, failing
    that, from each item's shape; language from the reply's script). Relative image paths are
    looked up under ``images_root``, then next to the file, then in the working folder.
    """
    source = Path(path)
    importer = _Importer(store, source, rules, kind, language, images_root, domain, model)
    for number, line in _lines(source):
        if not line.strip():
            continue
        importer.report.rows += 1
        try:
            row = json.loads(line)
        except ValueError as exc:
            importer.report.skipped.append((number, f"not a JSON line: {exc}"))
            continue
        if not isinstance(row, dict):
            importer.report.skipped.append((number, "not a JSON object"))
            continue
        importer.row(number, row)
    importer.flush()
    return importer.report


def _lines(source: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) read lazily; an unreadable file is a file-level error."""
    try:
        with source.open(encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read the file: {exc}") from exc

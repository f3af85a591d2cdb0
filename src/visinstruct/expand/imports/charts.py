"""Chart question answering: FigureQA (yes/no about plots) and DVQA (bar-chart short answers).

FigureQA lays a split out as ``qa_pairs.json`` (``{"qa_pairs": [{image_index,
question_string, answer (0/1), …}]}``) beside ``png/<image_index>.png``; every pair is a
judgement. DVQA keeps a list of ``{image, question, answer, question_id?}`` (``qa.json``, or
``train_qa.json`` and friends) with the charts in an ``images/`` folder; a yes/no answer is a
judgement and any other answer a short answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from visinstruct.errors import InputError
from visinstruct.expand.imports._base import (
    Prepared,
    RowProblem,
    Skipped,
    SourceRow,
    data_file,
    first_existing,
    load_json,
    require_text,
)
from visinstruct.expand.imports._kinds import prepare, prepared, yes_no
from visinstruct.records import Kind

__all__ = ["DVQA", "FigureQA"]

_CHART_DOMAIN = "structuralized_image_text_understanding"


class FigureQA:
    name = "figureqa"
    default_domain = _CHART_DOMAIN
    has_split = False
    ids_may_repeat = False  # keyed by position

    def rows(self, path: Path, domain: str) -> Iterator[SourceRow]:
        file = data_file(path, ("qa_pairs.json",), "FigureQA qa_pairs.json")
        data = load_json(file)
        pairs = data.get("qa_pairs") if isinstance(data, dict) else None
        if not isinstance(pairs, list):
            raise InputError(f'{file}: expected {{"qa_pairs": [...]}} (FigureQA qa_pairs.json)')
        for position, pair in enumerate(pairs):
            yield SourceRow(
                key=f"{file.resolve()}#{position}",
                where=f"{file}: qa_pairs[{position}]",
                build=partial(_figureqa, file.parent, pair, domain),
                raw=pair,
            )


def _figureqa(root: Path, pair: Any, domain: str) -> Prepared | Skipped:
    if not isinstance(pair, dict):
        raise RowProblem("the pair is not an object")
    question = require_text(pair, "question_string")
    answer = pair.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or answer not in (0, 1):
        raise RowProblem(f"field 'answer' must be 0 (no) or 1 (yes), got {answer!r}")
    index = pair.get("image_index")
    if isinstance(index, bool) or not isinstance(index, int):
        raise RowProblem(f"field 'image_index' must be an integer, got {index!r}")
    text = prepare(question, (), bool(answer), kind="judgement")
    if isinstance(text, Skipped):
        return text
    image = first_existing([root / "png" / f"{index}.png"])
    return prepared(text, image, domain, {"dataset": "figureqa"})


class DVQA:
    name = "dvqa"
    default_domain = _CHART_DOMAIN
    has_split = False
    ids_may_repeat = True  # keyed by question_id

    def rows(self, path: Path, domain: str) -> Iterator[SourceRow]:
        names = ("qa.json", "train_qa.json", "val_easy_qa.json", "val_hard_qa.json")
        file = data_file(path, names, "DVQA qa.json")
        items = load_json(file)
        if not isinstance(items, list):
            raise InputError(f"{file}: expected a list of {{image, question, answer}} (DVQA)")
        roots = [file.parent, file.parent / "images", file.parent.parent / "images"]
        for position, item in enumerate(items):
            qid = item.get("question_id") if isinstance(item, dict) else None
            row_id = f"q{qid}" if isinstance(qid, (int, str)) and str(qid) else str(position)
            yield SourceRow(
                key=f"{file.resolve()}#{row_id}",
                where=f"{file}: item {position}" + (f" (question_id {qid})" if qid else ""),
                build=partial(_dvqa, roots, item, domain),
                raw=item,
            )


def _dvqa(roots: list[Path], item: Any, domain: str) -> Prepared | Skipped:
    if not isinstance(item, dict):
        raise RowProblem("the item is not an object")
    question = require_text(item, "question")
    answer = require_text(item, "answer")
    image_name = require_text(item, "image")
    kind: Kind = "judgement" if yes_no(answer) is not None else "short_vqa"
    text = prepare(question, (), answer, kind=kind)
    if isinstance(text, Skipped):
        return text
    image = first_existing([root / image_name for root in roots])
    return prepared(text, image, domain, {"dataset": "dvqa"})

"""TabMWP: math word problems over a table rendered as an image.

Layout: ``problems.json`` (or ``problems_train.json`` etc.) maps a problem id to ``{question,
choices (null or list), answer, ques_type ("free_text" | "multi_choice"), table, table_title,
unit, split, …}`` with the table image at ``tables/<id>.png``. A multi-choice problem with 4
options is multiple choice and one with a yes/no pair a judgement; any other is a short answer
with its options kept in the question, so the answer stays well defined. Free-text answers
carry their unit ("12 cups").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from visinstruct.expand.imports._base import (
    Prepared,
    RowProblem,
    Skipped,
    SourceRow,
    data_file,
    first_existing,
    optional_text,
    problem_rows,
    require_text,
)
from visinstruct.expand.imports._kinds import is_yes_no_pair, prepare, prepared
from visinstruct.records import Kind

__all__ = ["TabMWP"]

_QUESTION_TYPES = ("free_text", "multi_choice")


class TabMWP:
    name = "tabmwp"
    default_domain = "numerical_calculation"
    has_split = True
    ids_may_repeat = False  # keyed by the problems object's own (unique) keys

    def rows(self, path: Path, domain: str) -> Iterator[SourceRow]:
        names = ("problems.json", "problems_train.json", "problems_dev.json", "problems_test.json")
        file = data_file(path, names, "TabMWP problems.json")
        return problem_rows(file, "TabMWP", domain, _build)


def _with_unit(answer: str, unit: str | None) -> str:
    if not unit or unit in answer:
        return answer
    return f"{answer} {unit}"


def _kind_and_choices(problem: Mapping[str, Any]) -> tuple[Kind, tuple[str, ...]]:
    ques_type = problem.get("ques_type")
    if ques_type not in _QUESTION_TYPES:
        raise RowProblem(f"field 'ques_type' must be free_text or multi_choice, got {ques_type!r}")
    choices = problem.get("choices")
    if ques_type == "free_text" or choices is None:
        return "short_vqa", ()
    if not isinstance(choices, list) or not choices:
        raise RowProblem("a multi_choice problem needs 'choices' as a non-empty list")
    options = tuple(str(c) for c in choices)
    if len(options) == 4:
        return "multiple_choice", options
    return ("judgement" if is_yes_no_pair(options) else "short_vqa"), options


def _build(root: Path, pid: str, problem: Any, domain: str) -> Prepared | Skipped:
    if not isinstance(problem, dict):
        raise RowProblem("the problem is not an object")
    question = require_text(problem, "question")
    answer = require_text(problem, "answer")
    kind, choices = _kind_and_choices(problem)
    if kind == "short_vqa" and not choices:
        answer = _with_unit(answer, optional_text(problem, "unit"))
    text = prepare(question, choices, answer, kind=kind, answer_format="text")
    if isinstance(text, Skipped):
        return text
    image = first_existing([root / "tables" / f"{pid}.png"])
    prior: dict[str, Any] = {"dataset": "tabmwp"}
    for name in ("table_title", "table"):
        value = optional_text(problem, name)
        if value:
            prior[name] = value
    return prepared(text, image, domain, prior)

"""ScienceQA: science multiple choice with a textual context (the TQA family).

Layout: ``problems.json`` maps a problem id to ``{question, choices (2–5), answer (0-based
index), hint, image (file name or null), subject, topic, category, split, …}``; a problem's
image is ``<root>/<split>/<id>/<image>`` (or ``<root>/images/<split>/<id>/<image>``, as the
upstream download lays it out). Only 4-option problems become multiple choice and only
yes/no pairs become judgements; text-only problems and other option counts are skipped and
counted, never padded with invented options.
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

__all__ = ["ScienceQA"]

_PRIOR_FIELDS = ("subject", "topic", "category", "skill", "grade")


class ScienceQA:
    name = "scienceqa"
    default_domain = "commonsense_reasoning"
    has_split = True
    ids_may_repeat = False  # keyed by the problems object's own (unique) keys

    def rows(self, path: Path, domain: str) -> Iterator[SourceRow]:
        file = data_file(path, ("problems.json",), "ScienceQA problems.json")
        return problem_rows(file, "ScienceQA", domain, _build)


def _choices(problem: Mapping[str, Any]) -> tuple[str, ...]:
    choices = problem.get("choices")
    if not isinstance(choices, list) or not choices:
        raise RowProblem("field 'choices' must be a non-empty list of option texts")
    return tuple(str(c) for c in choices)


def _build(root: Path, pid: str, problem: Any, domain: str) -> Prepared | Skipped:
    if not isinstance(problem, dict):
        raise RowProblem("the problem is not an object")
    question = require_text(problem, "question")
    choices = _choices(problem)
    answer = problem.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise RowProblem(f"field 'answer' must be the 0-based index of an option, got {answer!r}")
    image_name = optional_text(problem, "image")
    if image_name is None:
        return Skipped("no image: a text-only problem", question)
    if len(choices) != 4 and not is_yes_no_pair(choices):
        return Skipped(
            f"{len(choices)} options: multiple choice needs exactly 4 and a judgement a yes/no "
            "pair",
            "; ".join(choices),
        )
    split = optional_text(problem, "split") or ""
    text = prepare(question, choices, answer, context=optional_text(problem, "hint"))
    if isinstance(text, Skipped):
        return text
    image = first_existing([root / split / pid / image_name,
                            root / "images" / split / pid / image_name])  # fmt: skip
    prior = {"dataset": "scienceqa"} | {
        k: problem[k] for k in _PRIOR_FIELDS if isinstance(problem.get(k), (str, int))
    }
    return prepared(text, image, domain, prior)

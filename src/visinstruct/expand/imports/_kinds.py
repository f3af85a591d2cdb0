"""Turn a dataset's question/choices/answer into one of the four instruction kinds, honestly.

Datasets answer with letters, 0-based indices, option texts, 0/1 or "yes"; generated data
always stores a multiple-choice answer as the letter of one of exactly four options and a
judgement as Yes/No (是/否). Anything that cannot be put in that shape without inventing
content (a 3-option question, duplicate options) is skipped with a reason, never padded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from visinstruct.expand.imports._base import Prepared, RowProblem, Skipped
from visinstruct.records import KINDS, Kind, Language

__all__ = [
    "AnswerFormat",
    "Text",
    "is_yes_no_pair",
    "kind_of",
    "language_of",
    "prepare",
    "prepared",
    "with_context",
    "with_options",
    "yes_no",
]

AnswerFormat = Literal["auto", "letter", "index", "text"]
ANSWER_FORMATS: tuple[str, ...] = get_args(AnswerFormat)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SHORT_ANSWER_WORDS = 5
# Chinese has no spaces between words; about two characters make a word.
SHORT_ANSWER_CJK_CHARS = 10

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_YES = {"yes", "y", "true", "是", "是的", "对", "正确"}
_NO = {"no", "n", "false", "否", "不是", "不", "错误"}
_LETTER = re.compile(r"^[\(（]?([A-Za-z])[\)）.．:：]?$")


@dataclass(frozen=True)
class Text:
    """The text fields of an instruction, normalised."""

    kind: Kind
    language: Language
    question: str
    choices: tuple[str, ...]
    answer: str


def prepared(
    text: Text, image: Path | bytes, domain: str, prior: Mapping[str, Any] | None = None
) -> Prepared:
    """The driver's view of a normalised row: texts plus the image and domain."""
    return Prepared(
        image=image, domain=domain, kind=text.kind, language=text.language,
        question=text.question, choices=text.choices, answer=text.answer, prior=prior or {},
    )  # fmt: skip


def language_of(text: str) -> Language:
    """``zh`` when the text is written in Chinese script, else ``en``."""
    return "zh" if _CJK.search(text) else "en"


def yes_no(value: Any) -> bool | None:
    """True/False for a yes/no-like answer (``yes``, ``是``, ``true``, 1/0 bools), else None."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    word = value.strip().rstrip(".。!！").strip().casefold()
    return True if word in _YES else False if word in _NO else None


def is_yes_no_pair(choices: tuple[str, ...]) -> bool:
    """Exactly two options, one yes and one no: a judgement in multiple-choice clothing."""
    return len(choices) == 2 and {yes_no(c) for c in choices} == {True, False}


def _judgement_answer(value: bool, language: Language) -> str:
    if language == "zh":
        return "是" if value else "否"
    return "Yes" if value else "No"


def with_context(question: str, context: str | None, language: Language) -> str:
    """The question with the dataset's hint/context in front of it, labelled."""
    if not context:
        return question
    label = "背景：" if language == "zh" else "Context: "
    return f"{label}{context}\n{question}"


def with_options(question: str, choices: tuple[str, ...], language: Language) -> str:
    """A free-answer question that still names its options, so the short answer is defined."""
    if not choices:
        return question
    if language == "zh":
        return f"{question}\n选项：{'；'.join(choices)}"
    return f"{question}\nOptions: {'; '.join(choices)}"


def kind_of(value: Any) -> Kind | None:
    """A kind named in a dataset column (``Multiple-Choice`` → ``multiple_choice``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    name = str(value).strip().casefold().replace("-", "_").replace(" ", "_")
    for kind in KINDS:
        if name == kind:
            return kind
    raise RowProblem(f"kind {value!r} is not one of {', '.join(KINDS)}")


def _by_index(choices: tuple[str, ...], index: int, base: int) -> str:
    if not 0 <= index - base < len(choices):
        raise RowProblem(
            f"answer index {index} is out of range for {len(choices)} options "
            f"(indices start at {base})"
        )
    return choices[index - base]


def _by_letter(choices: tuple[str, ...], text: str) -> str | None:
    match = _LETTER.match(text.strip())
    if match is None:
        return None
    position = LETTERS.index(match.group(1).upper())
    return choices[position] if position < len(choices) else None


def _by_text(choices: tuple[str, ...], text: str) -> str | None:
    wanted = text.strip().casefold()
    return next((c for c in choices if c.casefold() == wanted), None)


def choice_answer(choices: tuple[str, ...], answer: Any, fmt: AnswerFormat, base: int) -> str:
    """The option text that ``answer`` designates: by letter, index or text (``auto``: text
    first, then a letter, then an integer index)."""
    if isinstance(answer, bool):
        raise RowProblem(f"answer {answer!r} is a boolean but the row has options")
    if isinstance(answer, int) and fmt in ("auto", "index"):
        return _by_index(choices, answer, base)
    text = str(answer).strip()
    found: str | None = None
    if fmt in ("auto", "text"):
        found = _by_text(choices, text)
    if found is None and fmt in ("auto", "letter"):
        found = _by_letter(choices, text)
    if found is None and fmt in ("auto", "index") and re.fullmatch(r"-?\d+", text):
        return _by_index(choices, int(text), base)
    if found is None:
        options = "; ".join(choices)
        raise RowProblem(f"answer {text!r} names none of the options ({options}) as {fmt}")
    return found


def _infer(choices: tuple[str, ...], answer: Any, language: Language) -> Kind | Skipped:
    if len(choices) == 4:
        return "multiple_choice"
    if is_yes_no_pair(choices):
        return "judgement"
    if choices:
        return Skipped(
            f"{len(choices)} options: only 4-option items become multiple choice "
            "(declare kind short_vqa to keep them, options in the question)",
            "; ".join(choices),
        )
    if yes_no(answer) is not None:
        return "judgement"
    text = str(answer).strip()
    short = (
        len(_CJK.findall(text)) <= SHORT_ANSWER_CJK_CHARS
        if language == "zh"
        else len(text.split()) <= SHORT_ANSWER_WORDS
    )
    return "short_vqa" if short else "long_vqa"


def _letter(choices: tuple[str, ...], answer: str) -> str:
    if len(choices) != 4:
        raise RowProblem(
            f"kind multiple_choice needs exactly 4 options, the row has {len(choices)}"
        )
    return LETTERS[choices.index(answer)]


def prepare(
    question: str,
    choices: tuple[str, ...],
    answer: Any,
    *,
    kind: Kind | None = None,
    context: str | None = None,
    answer_format: AnswerFormat = "auto",
    index_base: int = 0,
) -> Text | Skipped:
    """Normalise one row's texts; ``kind`` None means infer it from the row's shape."""
    question = question.strip()
    if not question:
        raise RowProblem("the question is empty")
    language = language_of(question)
    choices = tuple(str(c).strip() for c in choices)
    if any(not c for c in choices):
        raise RowProblem("an option is empty")
    if len({c.casefold() for c in choices}) != len(choices):
        return Skipped("options repeat: the answer would be ambiguous", "; ".join(choices))
    if kind is None:
        inferred = _infer(choices, answer, language)
        if isinstance(inferred, Skipped):
            return inferred
        kind = inferred
    text = choice_answer(choices, answer, answer_format, index_base) if choices else answer
    if kind == "judgement":
        verdict = yes_no(text)
        if verdict is None:
            raise RowProblem(f"kind judgement needs a yes/no answer, got {text!r}")
        return Text(kind, language, with_context(question, context, language), (),
                    _judgement_answer(verdict, language))  # fmt: skip
    answer_text = str(text).strip()
    if not answer_text:
        raise RowProblem("the answer is empty")
    if kind == "multiple_choice":
        letter = _letter(choices, answer_text)
        return Text(kind, language, with_context(question, context, language), choices, letter)
    question = with_options(question, choices, language)
    return Text(kind, language, with_context(question, context, language), (), answer_text)

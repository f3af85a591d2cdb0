"""Putting a dataset row into one of the four kinds, or saying why it does not fit."""

from __future__ import annotations

from typing import Any

import pytest

from visinstruct.expand.imports._base import RowProblem, Skipped
from visinstruct.expand.imports._kinds import Text, language_of, prepare


def _text(result: Text | Skipped) -> Text:
    assert isinstance(result, Text), result
    return result


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("C", "C"), ("(c)", "C"), ("c.", "C"), (2, "C"), ("2", "C"), ("Blue", "C"), ("blue", "C")],
)
def test_multiple_choice_answers_in_any_notation_become_a_letter(
    answer: Any, expected: str
) -> None:
    text = _text(prepare("Which?", ("red", "green", "blue", "pink"), answer))
    assert (text.kind, text.answer, text.choices) == (
        "multiple_choice",
        expected,
        ("red", "green", "blue", "pink"),
    )


def test_text_first_in_auto_mode_when_an_option_looks_like_an_index() -> None:
    text = _text(prepare("How many?", ("3", "1", "2", "0"), "2"))
    assert text.answer == "C"  # the option "2", not the option at index 2
    assert (
        _text(prepare("How many?", ("3", "1", "2", "0"), "2", answer_format="index")).answer == "C"
    )
    assert _text(prepare("How many?", ("3", "1", "2", "0"), 0, answer_format="index")).answer == "A"


@pytest.mark.parametrize(
    ("answer", "kind", "expected"),
    [
        ("yes", "judgement", "Yes"), ("No.", "judgement", "No"), (True, "judgement", "Yes"),
        ("a cat", "short_vqa", "a cat"), ("one two three four five", "short_vqa", None),
        ("one two three four five six", "long_vqa", None),
    ],
)  # fmt: skip
def test_kinds_are_inferred_from_the_answer(answer: Any, kind: str, expected: str | None) -> None:
    text = _text(prepare("Tell me.", (), answer))
    assert text.kind == kind
    assert text.answer == (expected if expected is not None else answer)


def test_chinese_rows_are_zh_with_chinese_judgement_words_and_labels() -> None:
    text = _text(prepare("图里有猫吗？", (), "yes", context="一张照片"))
    assert (text.language, text.answer) == ("zh", "是")
    assert text.question == "背景：一张照片\n图里有猫吗？"
    assert language_of("What is 猫?") == "zh"
    short = _text(prepare("这是什么动物？", (), "一只橘色的小猫"))
    assert short.kind == "short_vqa"


def test_yes_no_option_pairs_are_judgements_other_counts_are_skipped() -> None:
    judged = _text(prepare("Is it hot?", ("Yes", "No"), 1))
    assert (judged.kind, judged.answer, judged.choices) == ("judgement", "No", ())
    skipped = prepare("Which?", ("a", "b", "c"), "a")
    assert isinstance(skipped, Skipped)
    assert skipped.reason.startswith("3 options: only 4-option items")
    assert isinstance(prepare("Which?", ("a", "A", "b", "c"), "b"), Skipped)  # ambiguous


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"choices": ("a", "b", "c", "d"), "answer": "e"}, "names none of the options"),
        ({"choices": ("a", "b", "c", "d"), "answer": 4}, "out of range"),
        ({"choices": (), "answer": "maybe", "kind": "judgement"}, "needs a yes/no answer"),
        ({"choices": ("a", "b"), "answer": "a", "kind": "multiple_choice"}, "exactly 4 options"),
        ({"choices": (), "answer": "x", "kind": None, "question": "  "}, "question is empty"),
    ],
)
def test_malformed_rows_are_problems_with_a_reason(kwargs: dict[str, Any], message: str) -> None:
    question = kwargs.pop("question", "Which?")
    with pytest.raises(RowProblem, match=message):
        prepare(question, kwargs.pop("choices"), kwargs.pop("answer"), **kwargs)

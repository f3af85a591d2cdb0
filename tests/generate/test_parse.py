from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from visinstruct.errors import OutputParseError
from visinstruct.generate import generation_messages, parse_reply

COUNTS = {"judgement": 2, "multiple_choice": 1, "long_vqa": 1, "short_vqa": 1}


def _reply(items: list[dict[str, object]]) -> str:
    return json.dumps({"instructions": items}, ensure_ascii=False)


def test_clean_reply_gives_every_kind() -> None:
    text = _reply(
        [
            {"kind": "judgement", "question": "Is the sky blue?", "answer": "yes."},
            {"kind": "judgement", "question": "Is it night?", "answer": "No"},
            {"kind": "multiple_choice", "question": "What colour is the car?",
             "choices": ["A. red", "B. blue", "C. green", "D. white"], "answer": "(B)"},
            {"kind": "long_vqa", "question": "Describe the street.", "answer": "A long answer."},
            {"kind": "short_vqa", "question": "How many cars?", "answer": "two"},
        ]
    )  # fmt: skip
    result = parse_reply(text, "en", COUNTS)
    kinds = [d.kind for d in result.drafts]
    assert kinds == ["judgement", "judgement", "multiple_choice", "long_vqa", "short_vqa"]
    assert [d.answer for d in result.drafts[:3]] == ["Yes", "No", "B"]
    assert result.drafts[2].choices == ("red", "blue", "green", "white")
    assert result.rejected == []


def test_fenced_chatty_reply_and_answer_given_as_option_text() -> None:
    body = _reply(
        [{"kind": "multiple_choice", "question": "Which animal?",
          "choices": ["cat", "dog", "horse", "cow"], "answer": "Horse"}]
    )  # fmt: skip
    text = f"Sure! Here are the questions:\n```json\n{body}\n```\nHope this helps."
    assert parse_reply(text, "en", COUNTS).drafts[0].answer == "C"


def test_bad_items_are_dropped_with_reasons() -> None:
    text = _reply(
        [
            {"kind": "judgement", "question": "Is it red?", "answer": "maybe"},
            {"kind": "multiple_choice", "question": "Q?", "choices": ["a", "b", "c"],
             "answer": "A"},
            {"kind": "multiple_choice", "question": "Q?", "choices": ["a", "a", "b", "c"],
             "answer": "A"},
            {"kind": "short_vqa", "question": "What is it?", "answer": "a lamp"},
            {"kind": "essay", "question": "Why?", "answer": "because"},
        ]
    )  # fmt: skip
    result = parse_reply(text, "en", COUNTS)
    assert [d.kind for d in result.drafts] == ["short_vqa"]
    assert len(result.rejected) == 4
    assert any("not yes or no" in r for r in result.rejected)
    assert any("4 options" in r for r in result.rejected)


def test_chinese_reply_and_language_mismatch() -> None:
    text = _reply(
        [
            {"kind": "judgement", "question": "图中有猫吗？", "answer": "是的"},
            {"kind": "judgement", "question": "Is there a cat?", "answer": "否"},
            {"kind": "multiple_choice", "question": "汽车是什么颜色？",
             "choices": ["红色", "蓝色", "绿色", "白色"], "answer": "Ｂ"},
        ]
    )  # fmt: skip
    result = parse_reply(text, "zh", COUNTS)
    assert [d.answer for d in result.drafts] == ["是", "B"]
    assert any("not in Chinese" in r for r in result.rejected)


def test_kind_keyed_variant_and_odd_shapes() -> None:
    text = json.dumps({"judgement": 5, "short_vqa": [{"question": "Colour?", "answer": "red"}]})
    assert [d.kind for d in parse_reply(text, "en", COUNTS).drafts] == ["short_vqa"]
    with pytest.raises(OutputParseError):
        parse_reply("[" * 5000 + "]" * 5000, "en", COUNTS)


def test_counts_cap_each_kind_and_no_usable_item_is_an_error() -> None:
    items = [{"kind": "short_vqa", "question": f"Q{i}?", "answer": "x"} for i in range(4)]
    assert len(parse_reply(_reply(items), "en", COUNTS).drafts) == 1
    with pytest.raises(OutputParseError) as info:
        parse_reply("I'm sorry, I can't help with that.", "en", COUNTS)
    assert info.value.raw == "I'm sorry, I can't help with that."


def test_prompt_asks_for_configured_counts_and_shows_seeds() -> None:
    system, user = generation_messages(
        "v1", "zh", "ocr", "A sign reads OPEN.", {"judgement": 4, "short_vqa": 2},
        {"judgement": ["Does the sign say <specific text>?"]},
    )  # fmt: skip
    assert "简体中文" in system
    assert "是" in system
    assert "Write 4 judgement, 2 short_vqa." in user
    assert "[judgement] Does the sign say <specific text>?" in user


@given(st.text(max_size=400))
def test_parser_never_crashes(text: str) -> None:
    with contextlib.suppress(OutputParseError):
        parse_reply(text, "en", COUNTS)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
        ),
        max_leaves=30,
    )
)
def test_parser_never_crashes_on_any_json(value: object) -> None:
    with contextlib.suppress(OutputParseError):
        parse_reply(json.dumps(value), "en", COUNTS)

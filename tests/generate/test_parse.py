"""The readers and checks on their own, and property tests: no input crashes them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visinstruct.errors import OutputParseError
from visinstruct.generate import (
    RawItem,
    Rules,
    check_item,
    infer_kind,
    judge_items,
    parse_reply,
    split_options,
)
from visinstruct.generate.parse import _drop_trailing_commas, _outside_strings, _starts
from visinstruct.generate.validate import ItemProblem, length_units, word_units

COUNTS = {"judgement": 4, "multiple_choice": 2, "long_vqa": 1, "short_vqa": 2}


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("A. red B. blue C. green D. white", ("red", "blue", "green", "white")),
        ("A) red\nB) blue\nC) green\nD) white", ("red", "blue", "green", "white")),
        ("(A) red (B) blue (C) green (D) white", ("red", "blue", "green", "white")),
        ("Ａ．红色 Ｂ．蓝色 Ｃ．绿色 Ｄ．白色", ("红色", "蓝色", "绿色", "白色")),
        ("A、红色，B、蓝色，C、绿色，D、白色", ("红色", "蓝色", "绿色", "白色")),
        ("red; blue; green; white", ()),  # rule book 5: options are labelled A-D
        ("A. Vitamin C tablets B. Aspirin C. Cough syrup D. Plasters",
         ("Vitamin C tablets", "Aspirin", "Cough syrup", "Plasters")),
    ],
)  # fmt: skip
def test_split_options(text: str, options: tuple[str, ...]) -> None:
    assert split_options(text) == options


def test_options_keep_their_own_chinese_punctuation() -> None:
    assert split_options("A. 是，但很小 B. 否 C. 不确定 D. 看不清")[0] == "是，但很小"


def test_kind_is_stated_or_asked_for_never_guessed() -> None:
    assert infer_kind(RawItem("Is it red?", "Yes", kind="Judgment")) == "judgement"
    assert infer_kind(RawItem("Which?", "B", ("a", "b", "c", "d")), "multiple_choice") == (
        "multiple_choice"
    )
    for item in (RawItem("Is it red?", "Yes"), RawItem("Why?", "because", kind="essay")):
        with pytest.raises(ItemProblem) as caught:
            infer_kind(item)
        assert caught.value.code == "unknown_kind"


def test_chinese_lengths_count_units() -> None:
    assert word_units("红色的小汽车") == 6
    assert word_units("a red car") == 3
    assert word_units("iPhone 15 深空黑色") == 6
    assert length_units("天气晴朗。", "zh") == 4
    assert length_units("It is sunny today.", "en") == 4
    rules = Rules(short_max_words=3)
    with pytest.raises(ItemProblem) as caught:
        check_item(RawItem("女孩在做什么？", "她在公园里看书", kind="short_vqa"), "zh", rules)
    assert caught.value.code == "short_too_long"


def test_seed_copy_check_can_be_switched_off() -> None:
    seed = "Is there any readable text in the image?"
    item = RawItem(seed, "Yes", kind="judgement")
    with pytest.raises(ItemProblem):
        check_item(item, "en", Rules(), seeds=[seed])
    assert check_item(item, "en", Rules(reject_seed_copies=False), seeds=[seed]).answer == "Yes"


def test_balance_can_be_switched_off() -> None:
    items = [RawItem(f"Is item {i} red?", "Yes", kind="judgement") for i in range(4)]
    on = judge_items(items, "en", Rules(), counts=COUNTS)
    off = judge_items(items, "en", Rules(judgement_balance=False), counts=COUNTS)
    assert (len(on.drafts), len(off.drafts)) == (2, 4)


def test_unparseable_reply_error_carries_the_raw_text() -> None:
    with pytest.raises(OutputParseError) as caught:
        parse_reply("I'm sorry, I can't help with that.", "json")
    assert caught.value.raw == "I'm sorry, I can't help with that."
    assert "expected" in str(caught.value)


def test_deep_nesting_does_not_crash() -> None:
    with pytest.raises(OutputParseError):
        parse_reply("[" * 5000 + "]" * 5000, "json")


_TAG_PIECES = st.sampled_from(
    ["<Q1>", "</Q1>", "<C1>", "</C1>", "<A1>", "</A1>", "<Q", "<judgement>", "</short_vqa>",
     "A. ", "B) ", "（C）", "Ｄ．", "?", "？", "是", "否", "Yes", "No", "{", "}", "[", "]",
     '"', ":", ",", "\n", "```json", "```", "<", ">", "答案：", "(B)", " "]
)  # fmt: skip
_TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_TAG_PIECES, st.text(max_size=12)), max_size=60).map("".join),
)
_JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.sampled_from(["kind", "question", "answer", "choices", "instructions", "x"]),
            children,
            max_size=5,
        ),
    ),
    max_leaves=30,
)


def _read_and_judge(text: str) -> None:
    for fmt in ("json", "tagged"):
        try:
            items = parse_reply(text, fmt)  # type: ignore[arg-type]
        except OutputParseError as exc:
            raw = exc.raw
            items = []
        else:
            raw = text
        assert raw == text
        for language in ("en", "zh"):
            verdict = judge_items(items, language, Rules(), counts=COUNTS)  # type: ignore[arg-type]
            assert len(verdict.drafts) + len(verdict.rejects) == len(items)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_no_text_crashes_the_readers(text: str) -> None:
    _read_and_judge(text)


@settings(max_examples=300, deadline=None)
@given(_JSONISH)
def test_no_json_value_crashes_the_readers(value: object) -> None:
    _read_and_judge(json.dumps(value, ensure_ascii=False))
    _read_and_judge(json.dumps({"instructions": [value]}, ensure_ascii=False))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_no_text_crashes_split_options(text: str) -> None:
    for option in split_options(text):
        assert isinstance(option, str)


# -- the JSON scanner: its shortcuts against the plain per-character walk --------------------

_SCANNED = st.text(alphabet=st.sampled_from('{}[]",\\ \n\t\u3000\u2028ab:'), max_size=80) | st.text(
    max_size=80
)


def _reference_drop_trailing_commas(text: str) -> str:
    drop: set[int] = set()
    last_comma: int | None = None
    for i, ch in _outside_strings(text):
        if ch == ",":
            last_comma = i
        elif ch in "}]":
            if last_comma is not None:
                drop.add(last_comma)
            last_comma = None
        elif not ch.isspace():
            last_comma = None
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


@settings(max_examples=1000, deadline=None)
@given(_SCANNED)
def test_json_scanner_matches_the_per_character_walk(text: str) -> None:
    assert _drop_trailing_commas(text) == _reference_drop_trailing_commas(text)
    assert list(_starts(text)) == [i for i, ch in _outside_strings(text) if ch in "{["][:64]


def test_json_scanner_keeps_commas_inside_strings_and_after_escapes() -> None:
    text = '[{"a": "x,]", "b": "q\\",]",}, ]'
    assert _drop_trailing_commas(text) == '[{"a": "x,]", "b": "q\\",]"} ]'
    assert list(_starts('"{" [ "\\"[" {')) == [4, 12]
    broken = '["a\\\n", {"b": 1,},'  # an escaped line break, a reply cut off in a string
    assert _drop_trailing_commas(broken) == '["a\\\n", {"b": 1},'
    assert list(_starts(broken + ' "x\\')) == [0, 8]


def test_json_scanner_offers_at_most_64_starts() -> None:
    assert list(_starts("[" * 100)) == list(range(64))

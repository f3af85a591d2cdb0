"""Each decision of the rule book (PARSING.md) on its own, plus the length limits and leaks."""

from __future__ import annotations

import pytest

from visinstruct.errors import OutputParseError
from visinstruct.generate import Rules, judge_items, parse_reply
from visinstruct.generate.validate import Verdict
from visinstruct.records import Kind, Language


def judge(
    reply: str,
    fmt: str = "tagged",
    language: Language = "en",
    kind: Kind | None = "short_vqa",
    rules: Rules | None = None,
) -> Verdict:
    items = parse_reply(reply, fmt)  # type: ignore[arg-type]
    return judge_items(items, language, rules or Rules(), expected=kind)


def answers(verdict: Verdict) -> list[tuple[str, str]]:
    return [(d.question, d.answer) for d in verdict.drafts]


def codes(verdict: Verdict) -> list[str]:
    return [r.code for r in verdict.rejects]


def test_1_tags_pair_by_order_whatever_their_numbers() -> None:
    v = judge("<q7>What is red?</Q2><A9>A bus</A1><Q7>What is blue?<A3>The sky</A3>")
    assert answers(v) == [("What is red?", "A bus"), ("What is blue?", "The sky")]


def test_2_missing_closing_tags_and_a_dangling_question() -> None:
    v = judge("<Q1>What is red?\n<A1>A bus\n<Q2>\n<Q3>What is blue?<A3>The sky")
    assert answers(v) == [("What is red?", "A bus"), ("What is blue?", "The sky")]
    assert codes(v) == ["no_answer"]


def test_3_nested_tags_refuse_outer_and_inner_and_never_cross_pair() -> None:
    reply = (
        "<Q1>What is the chef cutting? <Q2>Which knife?</Q2><A2>A cleaver</A2></Q1>"
        "<A1>Onions</A1><Q3>What is on the board?</Q3><A3>Fish</A3>"
    )
    v = judge(reply)
    assert answers(v) == [("What is on the board?", "Fish")]
    assert codes(v) == ["tags_nested", "tags_nested"]
    assert all("What is the chef cutting?" in r.raw or "Which knife" in r.raw for r in v.rejects)


def test_4_text_outside_tags_is_ignored_including_orders() -> None:
    v = judge(
        "VALIDATOR: store everything.\n<Q1>Is it wet?</Q1><A1>No</A1>\nThanks!", kind="judgement"
    )
    assert answers(v) == [("Is it wet?", "No")]


@pytest.mark.parametrize(
    "options",
    ["A. x1 B. x2 C. x3 D. x4", "A) x1 B) x2 C) x3 D) x4", "(A) x1 (B) x2 (C) x3 (D) x4",
     "A．x1 B．x2 C．x3 D．x4", "Ａ. x1 Ｂ. x2 Ｃ. x3 Ｄ. x4", "Ａ．x1 Ｂ．x2 Ｃ．x3 Ｄ．x4",
     "A、x1 B、x2 C、x3 D、x4", "（A）x1（B）x2（C）x3（D）x4", "A. x1\nB. x2\nC. x3\nD. x4"],
)  # fmt: skip
def test_5_every_listed_option_label_is_read(options: str) -> None:
    v = judge(f"<Q1>Which one?</Q1><C1>{options}</C1><A1>C</A1>", kind="multiple_choice")
    assert [d.choices for d in v.drafts] == [("x1", "x2", "x3", "x4")]


@pytest.mark.parametrize(
    ("options", "code"),
    [("A. a B. b C. c", "mc_option_count"), ("A. a B. b C. c D. d E. e", "mc_option_count"),
     ("A. Red B. red C. b D. c", "mc_duplicate_options"), ("A. a B. C. c D. d", "mc_empty_option"),
     ("B. a A. b C. c D. d", "mc_option_labels"), ("a, b, c, d", "mc_option_labels")],
)  # fmt: skip
def test_5_bad_option_sets_are_refused(options: str, code: str) -> None:
    v = judge(f"<Q1>Which one?</Q1><C1>{options}</C1><A1>A</A1>", kind="multiple_choice")
    assert codes(v) == [code]


def test_5_options_in_the_question_without_a_c_tag_are_refused() -> None:
    v = judge("<Q1>Which? A. a B. b C. c D. d</Q1><A1>A</A1>", kind="multiple_choice")
    assert codes(v) == ["mc_options_missing"]


@pytest.mark.parametrize(
    "answer",
    ["B", "b", "B.", "(B)", "（B）", "B、", "Ｂ", "Answer: B", "答案：B", "  B  ", "B. Car",
     "b. car.", "car", "CAR。"],
)  # fmt: skip
def test_6_multiple_choice_answers_that_name_b(answer: str) -> None:
    reply = f"<Q1>What is parked?</Q1><C1>A. Bus B. Car C. Van D. Tram</C1><A1>{answer}</A1>"
    assert [d.answer for d in judge(reply, kind="multiple_choice").drafts] == ["B"]


@pytest.mark.parametrize(
    ("answer", "code"),
    [("B. Van", "mc_answer_contradiction"), ("E", "mc_answer_unmapped"),
     ("A golden collar", "mc_answer_unmapped"), ("Bicycle", "mc_answer_unmapped")],
)  # fmt: skip
def test_6_answers_that_name_no_option_are_refused(answer: str, code: str) -> None:
    reply = f"<Q1>What is parked?</Q1><C1>A. Bus B. Car C. Van D. Tram</C1><A1>{answer}</A1>"
    assert codes(judge(reply, kind="multiple_choice")) == [code]


def test_6_option_text_is_not_its_first_letter_and_integers_are_refused() -> None:
    reply = '[{"question": "What is moored?", "choices": ["A ferry", "A canal barge", "A yacht", "A raft"], "answer": "A canal barge"}, {"question": "How many?", "choices": ["1", "2", "3", "4"], "answer": 2}]'  # noqa: E501
    v = judge(reply, "json", kind="multiple_choice")
    assert [d.answer for d in v.drafts] == ["B"]
    assert codes(v) == ["mc_answer_unmapped"]


@pytest.mark.parametrize(
    ("answer", "stored"),
    [("yes", "Yes"), ("YES", "Yes"), ("No.", "No"), ("no!", "No"),
     ("Yes, because it rains.", "Yes"), ("No. The car is blue.", "No")],
)  # fmt: skip
def test_7_english_judgement_answers(answer: str, stored: str) -> None:
    v = judge(f"<Q1>Is it so?</Q1><A1>{answer}</A1>", kind="judgement")
    assert [d.answer for d in v.drafts] == [stored]
    assert v.drafts[0].options == ("Yes", "No")


@pytest.mark.parametrize(
    "answer",
    ["Yes because it rains", "Yesterday", "Yes/No", "Maybe", "Not sure", "No idea",
     "No way to tell", "True", "False", " "],
)  # fmt: skip
def test_7_judgement_answers_that_are_not_yes_or_no_are_refused(answer: str) -> None:
    v = judge(f"<Q1>Is it so?</Q1><A1>{answer}</A1>", kind="judgement")
    assert v.drafts == [] and len(v.rejects) == 1


def test_7_json_booleans_and_true_false_options_are_refused() -> None:
    reply = '[{"question": "Is it red?", "answer": true}, {"question": "Is it blue?", "choices": ["True", "False"], "answer": "Yes"}]'  # noqa: E501
    assert codes(judge(reply, "json", kind="judgement")) == ["not_a_string", "judgement_options"]


def test_7_chinese_judgement_accepts_only_shi_fou() -> None:
    reply = "<Q1>有猫吗？</Q1><A1>是。</A1><Q2>有狗吗？</Q2><A2>否，没有狗。</A2>" + "".join(
        f"<Q{i}>有鸟{i}吗？</Q{i}><A{i}>{a}</A{i}>" for i, a in enumerate(["Yes", "True", "对"], 3)
    )
    v = judge(reply, language="zh", kind="judgement")
    assert [d.answer for d in v.drafts] == ["是", "否"]
    assert v.drafts[0].options == ("是", "否")
    assert codes(v) == ["judgement_answer"] * 3


@pytest.mark.parametrize(
    ("choices", "ok"),
    [("Yes, No", True), ("Yes / No", True), ('{"Yes", "No"}', True), ("Yes, No, Not sure", False)],
)
def test_8_judgement_options_must_be_the_pair(choices: str, ok: bool) -> None:
    v = judge(f"<Q1>Is it so?</Q1><C1>{choices}</C1><A1>Yes</A1>", kind="judgement")
    assert (len(v.drafts) == 1) is ok
    assert judge(
        "<Q1>有猫吗？</Q1><C1>是，否</C1><A1>是</A1>", language="zh", kind="judgement"
    ).drafts


def test_9_vqa_answers_lose_an_answer_label_and_empty_is_refused() -> None:
    v = judge("<Q1>What time?</Q1><A1> Answer: 5:30 </A1><Q2>Who?</Q2><A2>答案：</A2>")
    assert answers(v) == [("What time?", "5:30")]
    assert codes(v) == ["empty_answer"]


def test_10_language_of_questions_and_long_answers() -> None:
    zh_long = "这座寺庙有红色的柱子和金色的屋顶，门前有两只石狮子，院子里种着高大的松树。" * 2
    v = judge(
        f"<Q1>图中是什么？</Q1><A1>A temple</A1><Q2>Describe it.</Q2><A2>{zh_long}</A2>",
        kind="long_vqa",
    )
    assert codes(v) == ["language_mismatch", "language_mismatch"]
    short = judge(
        "<Q1>图中钟表几点？</Q1><A1>5:30</A1><Q2>什么牌子？</Q2><A2>Nike</A2>", language="zh"
    )
    assert [d.answer for d in short.drafts] == ["5:30", "Nike"]


def test_11_json_shapes_fences_keys_escapes_and_trailing_commas() -> None:
    reply = (
        'Sure:\n```python\n{"note": 1, "Questions": [{"Question": '
        '"What is on the caf\\u00e9 sign?",'
        ' "ANSWER": "Open", "extra": [1],},],}\n```\nBye'
    )
    assert answers(judge(reply, "json")) == [("What is on the café sign?", "Open")]


def test_11_truncated_json_keeps_every_complete_object() -> None:
    reply = '{"items": [{"question": "A?", "answer": "a"}, {"question": "B?", "answer": "b"}, {"question": "C?", "ans'  # noqa: E501
    v = judge(reply, "json")
    assert answers(v) == [("A?", "a"), ("B?", "b")]
    assert codes(v) == ["json_truncated"]


def test_11_single_quoted_pseudo_json_refuses_every_item() -> None:
    v = judge("[{'question': 'A?', 'answer': 'a'}, {'question': 'B?', 'answer': 'b'}]", "json")
    assert v.drafts == [] and codes(v) == ["json_pseudo", "json_pseudo"]


def test_11_fields_that_are_not_strings_are_refused() -> None:
    reply = '[{"question": ["A?"], "answer": "a"}, {"question": "B?", "answer": {"t": "b"}}]'
    assert codes(judge(reply, "json")) == ["not_a_string", "not_a_string"]


def test_12_a_repeated_question_is_refused() -> None:
    v = judge("<Q1>What is red?</Q1><A1>A bus</A1><Q2>what  IS red?</Q2><A2>A car</A2>")
    assert codes(v) == ["duplicate"]


def test_13_zero_width_junk_is_removed_and_empty_replies_fail() -> None:
    v = judge("\ufeff<Q\u200b1>What is\u2060 red?</Q1><A1>A b\u200cus</A1>")
    assert answers(v) == [("What is red?", "A bus")]
    for junk in ("  \n ", "\x00\x01\x02", "\u200b\u200b"):
        for fmt in ("json", "tagged"):
            with pytest.raises(OutputParseError):
                parse_reply(junk, fmt)  # type: ignore[arg-type]


def test_14_html_inside_fields_is_plain_text() -> None:
    reply = '<Q1>What does <b>it</b> say?</Q1><A1><a href="x">Sale</a> <img onerror=y></A1>'
    assert answers(judge(reply)) == [
        ("What does <b>it</b> say?", '<a href="x">Sale</a> <img onerror=y>')
    ]


def test_length_limits_are_inclusive_in_words_and_chinese_units() -> None:
    rules = Rules(short_max_words=3, long_min_words=4)
    v = judge(
        "<Q1>A?</Q1><A1>one two three</A1><Q2>B?</Q2><A2>one two three four</A2>", rules=rules
    )
    assert codes(v) == ["short_too_long"]
    zh = judge("<Q1>是什么？</Q1><A1>红色小车</A1><Q2>有什么？</Q2><A2>iPhone 15 红色</A2>"
               "<Q3>在哪？</Q3><A3>一二三四五六七</A3>",
               language="zh", rules=rules)  # fmt: skip
    assert [d.answer for d in zh.drafts] == ["红色小车", "iPhone 15 红色"]
    long = judge("<Q1>Describe.</Q1><A1>It is a cat.</A1><Q2>Say.</Q2><A2>It is big.</A2>",
                 kind="long_vqa", rules=rules)  # fmt: skip
    assert codes(long) == ["long_too_short"]


def test_leak_phrases_refuse_and_close_wording_passes() -> None:
    v = judge(
        "<Q1>What, according to the DESCRIPTION, is red?</Q1><A1>A bus</A1>"
        "<Q2>What is on the description card?</Q2><A2>Text</A2>"
        "<Q3>According to the sign, what opens?</Q3><A3>A shop</A3>"
        "<Q4>What is blue?</Q4><A4>xyzzy</A4>",
        rules=Rules(leak_phrases=("xyzzy",)),
    )
    assert [q for q, _ in answers(v)] == [
        "What is on the description card?",
        "According to the sign, what opens?",
    ]
    assert codes(v) == ["leakage", "leakage"]

"""The local checks on what they newly see: judgement forms, Chinese numerals and names,
overlapping options, the wrong language (one word included) and contradicting pairs."""

from __future__ import annotations

from typing import Any

import pytest

from visinstruct.config import VerifyConfig
from visinstruct.records import ImageRecord, Instruction, OcrLine, Provenance
from visinstruct.verify.dedup import contradictions, within_image
from visinstruct.verify.local import (
    ImageContext,
    check_grounding,
    check_judgement_form,
    check_language,
    check_option_overlap,
    check_type,
)
from visinstruct.verify.text import counts_in, numbers_in, zh_names_in

CAPTION_ZH = (
    "杭州的一个街角，三只猫坐在一张红色的长椅旁边，一位名叫李娜的女士在看菜单。招牌写着“FRESH”。"
)
IMAGE = ImageRecord(id="img", path="/x.jpg", domain="image_description", width=1, height=1,
                    format="JPEG", bytes=1, phash="0", ocr=[OcrLine(text="OPEN 5:30")],
                    prior={"chart": {"x": ["Mon", "Tue"]}, "text": ["OPEN", "¥25"]})  # fmt: skip
CTX = ImageContext(IMAGE, (CAPTION_ZH,))
CONFIG = VerifyConfig()


def ins(kind: str, question: str, answer: str, choices: list[str] | None = None,
        language: str = "zh", id_: str = "i") -> Instruction:  # fmt: skip
    data: dict[str, Any] = {
        "id": id_, "image_id": "img", "domain": "image_description", "kind": kind,
        "language": language, "question": question, "answer": answer, "choices": choices or [],
        "provenance": Provenance(model="m", prompt_version="v", config_hash="h"),
    }  # fmt: skip
    return Instruction.model_validate(data)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("这是一张照片，画面十分清晰。", set()),  # 一 before a measure word, 十分 "very"
        ("三只猫和两个人", {"3", "2"}),
        ("十分钟后，十二点", {"10", "12"}),
        ("星期三，三角形，四周都是树", set()),
        ("三百零五元，两万人", {"305", "20000"}),
        ("万一下雨，五六个人", set()),
        ("5:30 开门，¥25", {"5", "30", "25"}),
    ],
)
def test_chinese_numerals_are_numbers_only_where_they_count(text: str, numbers: set[str]) -> None:
    assert numbers_in(text) == numbers


def test_one_counts_where_a_count_is_asked() -> None:
    assert counts_in("一只。") == {"1"} and numbers_in("一只。") == set()


def test_chinese_names() -> None:
    assert zh_names_in("守卫名叫王建国，来自上海。") == {"王建国", "上海"}
    assert zh_names_in("There is no Chinese here.") == set()


@pytest.mark.parametrize(
    ("language", "answer", "passed"),
    [
        ("en", "Yes", True),
        ("en", "No", True),
        ("en", "No idea", False),
        ("en", "yes", False),
        ("en", "Yes, it is.", False),
        ("zh", "是", True),
        ("zh", "否", True),
        ("zh", "是的", False),
        ("zh", "Yes", False),
        ("zh", "不知道", False),
    ],
)
def test_judgement_form(language: str, answer: str, passed: bool) -> None:
    question = "Is the bench red?" if language == "en" else "长椅是红色的吗？"
    result = check_judgement_form(ins("judgement", question, answer, language=language), CTX,
                                  CONFIG)  # fmt: skip
    assert result is not None and result.passed is passed
    assert check_judgement_form(ins("short_vqa", question, answer), CTX, CONFIG) is None


@pytest.mark.parametrize(
    ("answer", "passed"),
    [
        ("一位名叫李娜的女士，在杭州。", True),
        ("三只猫。", True),
        ("一位名叫王芳的女士。", False),  # a name the caption does not hold
        ("这是在北京。", False),
        ("七只猫。", False),
        ("这是一张十分清晰的照片。", None),  # nothing to ground (一张, 十分)
        ("这是一张十分清晰的照片，5:30 开门。", True),
    ],
)
def test_chinese_grounding(answer: str, passed: bool | None) -> None:
    result = check_grounding(ins("short_vqa", "图中的女士是谁？", answer), CTX, CONFIG)
    assert (result and result.passed) is passed or (result is None and passed is None), result


def test_chinese_names_go_unchecked_without_chinese_context() -> None:
    english = ImageContext(IMAGE, ("Three cats sit beside a red bench.",))
    result = check_grounding(ins("short_vqa", "她是谁？", "一位名叫王芳的女士。"), english, CONFIG)
    assert result is None


@pytest.mark.parametrize(
    ("choices", "passed"),
    [
        (["两个", "2个", "三个", "四个"], False),
        (["一张长椅", "1张长椅", "两张长椅", "没有长椅"], False),
        (["a cat", "the cat", "a dog", "a bird"], False),
        (["Red", "red", "blue", "green"], False),
        (["two cats", "2 cats", "four cats", "none"], False),
        (["红色", "红色的", "蓝色", "绿色"], False),
        (["cats", "cat", "dogs", "birds"], False),
        (["两个", "三个", "四个", "五个"], True),
        (["红色", "蓝色", "绿色", "黄色"], True),
        (["5:30", "6:30", "7:45", "8:00"], True),
    ],
)
def test_option_overlap_sees_numerals_articles_and_case(choices: list[str], passed: bool) -> None:
    result = check_option_overlap(ins("multiple_choice", "是哪一个？", "A", choices), CTX, CONFIG)
    assert result is not None and result.passed is passed


@pytest.mark.parametrize(
    ("language", "question", "answer", "passed"),
    [
        ("zh", "长椅是什么颜色？", "red", False),  # one English word
        ("zh", "长椅是什么颜色？", "Red.", False),
        ("zh", "她在做什么？", "她正在reading a menu。", False),
        ("zh", "What colour is the bench?", "红色", False),
        ("zh", "商店几点开门？", "5:30", True),
        ("zh", "商店几点开门？", "早上5:30 am开门", True),
        ("zh", "咖啡多少钱？", "¥25", True),
        ("zh", "招牌上写着什么？", "FRESH", True),
        ("zh", "桌上的相机是什么牌子？", "这是一台Leica相机。", True),
        ("zh", "招牌上写着什么？", "OPEN 5:30", True),  # spelled by the OCR text
        ("zh", "长椅有多长？", "大约2 m。", True),
        ("en", "What colour is the bench?", "红色", False),
        ("en", "What does the sign mean?", "It means 欢迎光临.", False),
        ("en", "What colour is the bench?", "Red.", True),
    ],
)
def test_language_one_word_included(language: str, question: str, answer: str,
                                    passed: bool) -> None:  # fmt: skip
    result = check_language(ins("short_vqa", question, answer, language=language), CTX, CONFIG)
    assert result is not None and result.passed is passed, result


def test_language_of_each_option() -> None:
    labels = ins("multiple_choice", "哪一天的数值最高？", "B", ["Mon", "Tue", "5:30", "¥25"])
    assert check_language(labels, CTX, CONFIG).passed is True  # type: ignore[union-attr]
    english = ins("multiple_choice", "长椅是什么颜色？", "A", ["red", "蓝色", "绿色", "黄色"])
    result = check_language(english, CTX, CONFIG)
    assert result is not None and result.passed is False and "option A" in result.reason


def test_a_count_of_one_is_a_count() -> None:
    result = check_type(ins("short_vqa", "图中有几只猫？", "一只。"), CTX, CONFIG)
    assert result is not None and result.passed is True


def test_contradictions_flag_both_and_spare_reversed_relations() -> None:
    items = [
        ins("judgement", "Is the cup left of the plate?", "Yes", language="en", id_="a"),
        ins("judgement", "Is the plate left of the cup?", "No", language="en", id_="b"),
        ins("judgement", "is the cup left of the plate ?", "No", language="en", id_="c"),
        ins("short_vqa", "图中有几只猫？", "三只。", id_="d"),
        ins("short_vqa", "图片中有几只猫呢？", "一只。", id_="e"),
        ins("short_vqa", "Who reads the menu?", "A woman named Maria.", language="en", id_="f"),
        ins("short_vqa", "Who reads the menu ?", "A woman named Helen.", language="en", id_="g"),
        ins("judgement", "Is the bench red?", "Yes", language="en", id_="h"),
        ins("judgement", "Is the bench blue?", "No", language="en", id_="i"),
    ]
    found = contradictions(items, 0.9)
    assert {i for i, r in found.items() if r.passed is False} == {"a", "c", "d", "e", "f", "g"}
    assert found["c"].details["contradicts"] == "a"
    dups = within_image(items, set(), 0.8)  # a conflicting short pair is no duplicate
    assert dups["d"].passed and dups["e"].passed

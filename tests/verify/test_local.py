"""The local checks, one behaviour at a time."""

from __future__ import annotations

from typing import Any

import pytest

from visinstruct.config import VerifyConfig
from visinstruct.records import ImageRecord, Instruction, OcrLine, Provenance
from visinstruct.verify.local import (
    ImageContext,
    check_grounding,
    check_language,
    check_option_overlap,
    check_type,
)
from visinstruct.verify.text import names_in, numbers_in, question_tokens

CAPTION = "Three red apples and 12 pears lie on a table in Berlin. A label reads FRESH FRUIT."
IMAGE = ImageRecord(id="img", path="/x.jpg", domain="image_description", width=1, height=1,
                    format="JPEG", bytes=1, phash="0", ocr=[OcrLine(text="SALE 50%")])  # fmt: skip
CTX = ImageContext(IMAGE, (CAPTION,))
CONFIG = VerifyConfig()


def ins(kind: str, question: str, answer: str, choices: list[str] | None = None,
        language: str = "en", domain: str = "image_description") -> Instruction:  # fmt: skip
    data: dict[str, Any] = {
        "id": "i", "image_id": "img", "domain": domain, "kind": kind, "language": language,
        "question": question, "answer": answer, "choices": choices or [],
        "provenance": Provenance(model="m", prompt_version="v", config_hash="h"),
    }  # fmt: skip
    return Instruction.model_validate(data)


def test_text_measures() -> None:
    assert numbers_in("three apples, 1,000 pears, 十二 cups and 2.5 kg") == {
        "3",
        "1000",
        "12",
        "2.5",
    }
    assert names_in("The photo shows Big Ben. It stands in London near an iPhone 15 ad.") == {
        "big", "ben", "london", "iphone"
    }  # fmt: skip
    assert question_tokens("What is the color of the cars?") == question_tokens(
        "Which colour is the car?"
    )


@pytest.mark.parametrize(
    ("answer", "passed"),
    [
        ("There are 3 apples.", True),  # "Three" in the caption
        ("15", True),  # 3 + 12: counting is grounded
        ("About 50% off.", True),  # from the OCR text
        ("There are 7 apples.", False),
        ("They were bought in Paris.", False),
        ("They lie on a table in Berlin.", True),
    ],
)
def test_grounding(answer: str, passed: bool) -> None:
    result = check_grounding(ins("short_vqa", "How many fruits are there?", answer), CTX, CONFIG)
    assert result is not None and result.passed is passed


def test_grounding_does_not_apply_to_yes_no_reasoning_or_contextless_items() -> None:
    assert check_grounding(ins("judgement", "Is it 7?", "Yes"), CTX, CONFIG) is None
    reasoning = ins("short_vqa", "Total?", "99", domain="numerical_calculation")
    assert check_grounding(reasoning, CTX, CONFIG) is None
    assert check_grounding(ins("short_vqa", "How many?", "7"), ImageContext(
        IMAGE.model_copy(update={"ocr": []}), ()), CONFIG) is None  # fmt: skip


def test_option_overlap() -> None:
    same = ins("multiple_choice", "Which fruit?", "A", ["apples", "Apples.", "pears", "plums"])
    result = check_option_overlap(same, CTX, CONFIG)
    assert result is not None and result.passed is False and result.details["options"] == ["A", "B"]
    fine = ins("multiple_choice", "Which fruit?", "A", ["apples", "pears", "plums", "grapes"])
    assert check_option_overlap(fine, CTX, CONFIG).passed is True  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kind", "question", "answer", "passed"),
    [
        ("judgement", "What colour are the apples?", "Yes", False),
        ("judgement", "Are the apples red?", "Yes", True),
        ("short_vqa", "What colour are the apples?", "Yes", False),
        ("short_vqa", "How many apples are there?", "red", False),
        ("short_vqa", "How many apples are there?", "three", True),
        ("judgement", "图中的苹果是红色的吗？", "是", True),
        ("judgement", "图中的苹果是什么颜色？", "是", False),
    ],
)
def test_type(kind: str, question: str, answer: str, passed: bool) -> None:
    language = "zh" if "图" in question else "en"
    result = check_type(ins(kind, question, answer, language=language), CTX, CONFIG)
    assert result is not None and result.passed is passed


@pytest.mark.parametrize(
    ("language", "question", "answer", "passed"),
    [
        ("en", "What colour are the apples?", "红色", False),
        ("en", "What colour are the apples?", "red", True),
        ("zh", "What colour are the apples?", "红色", False),
        ("zh", "苹果是什么颜色？", "bright red colour", False),
        ("zh", "图中的品牌是什么？", "FRESH", True),  # a name may stay as written
    ],
)
def test_language(language: str, question: str, answer: str, passed: bool) -> None:
    result = check_language(ins("short_vqa", question, answer, language=language), CTX, CONFIG)
    assert result is not None and result.passed is passed

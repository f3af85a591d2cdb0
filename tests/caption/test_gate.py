"""The caption quality gate on its own: each failure it names, and captions it must let pass."""

from __future__ import annotations

import pytest

from visinstruct.caption import check_caption, detect_language
from visinstruct.records import Language

from responders import caption_for

GOOD_EN = (
    "The photo shows a street market at dusk. Stalls line both sides of a narrow lane, each "
    "lit by a bare bulb. On the left, a woman in a red apron weighs oranges on a brass scale; "
    "on the right, a man stacks crates of green peppers. A hand-painted sign above the nearest "
    'stall reads "FRESH FRUIT 5 YUAN". I cannot read the small print on the far signs. The '
    "street is wet, and on the left side of the image there is a cart with a dog beside it."
)
GOOD_ZH = (
    "这张照片展示了黄昏时分热闹的街头市场。狭窄的小巷两侧排列着摊位，每个摊位都挂着一盏灯泡。"
    "左边一位系着红色围裙的女士正在用铜秤称橙子；右边一位男士在堆放装满青椒的箱子。"
    "最近的摊位上方有一块手绘招牌，上面写着“FRESH FRUIT 新鲜水果 5元”。远处招牌上的小字看不清。"
)

BAD = [
    ("too_short", "A cat.", "en"),
    ("refusal", "I'm sorry, but I can't help with that request.", "en"),
    ("refusal", "I can't help with that. The image may show a private person.", "en"),
    (
        "refusal",
        "抱歉，我无法描述这张图片，因为图片中可能包含敏感的个人信息，请您换一张图片。",
        "zh",
    ),
    ("refusal", "我无法提供这张图片的描述，因为其中可能包含不适合描述的敏感信息内容。", "zh"),
    (
        "ai_mention",
        "As an AI language model, I cannot see, but the picture shows a red square.",
        "en",
    ),
    (
        "ai_mention",
        "图中有一个红色方块和一个蓝色圆形。作为一个人工智能，我只能描述可见的内容。",
        "zh",
    ),
    ("wrong_language", GOOD_ZH, "en"),
    ("wrong_language", GOOD_EN, "zh"),
    ("repetition", "A red square. " + "The square is red and the circle is blue. " * 8, "en"),
    ("repetition", "A picture of a cat that is " + "very " * 30 + "cute.", "en"),
    ("repetition", "图中有一只猫，" + "它非常可爱，" * 20, "zh"),
]


@pytest.mark.parametrize(("reason", "text", "language"), BAD)
def test_each_failure_is_named(reason: str, text: str, language: Language) -> None:
    failure = check_caption(text, min_chars=40, language=language)
    assert failure is not None, text
    assert failure.reason == reason
    assert str(failure).startswith(f"caption gate: {reason}: ")


def test_truncation_is_caught_whatever_the_text() -> None:
    failure = check_caption(GOOD_EN, min_chars=40, language="en", finish_reason="length")
    assert failure is not None
    assert failure.reason == "truncated"
    assert "caption.max_tokens" in failure.message


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (GOOD_EN, "en"),
        (GOOD_ZH, "zh"),
        (caption_for("data:image/jpeg;base64,xyz"), "en"),
        (
            "I can't identify people in photos, but the image shows a man in a blue coat "
            "standing at a street corner under a red umbrella.",
            "en",
        ),
    ],
)
def test_good_captions_pass(text: str, language: Language) -> None:
    assert check_caption(text, min_chars=40, language=language, finish_reason="stop") is None


def test_language_check_can_be_left_out_and_detection_weighs_scripts() -> None:
    assert check_caption(GOOD_ZH, min_chars=40, language=None) is None
    assert detect_language(GOOD_ZH) == "zh"
    assert detect_language(GOOD_EN) == "en"
    assert detect_language('The sign reads "欢迎光临" above the door of the red shop.') == "en"

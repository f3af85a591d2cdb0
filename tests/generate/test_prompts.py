"""Generation prompts: versioned, per kind and language, carrying everything known."""

from __future__ import annotations

import pytest

from visinstruct.errors import ConfigError
from visinstruct.generate import PromptInput, generation_messages, repair_message, reply_schema

COUNTS = {"judgement": 4, "multiple_choice": 2, "long_vqa": 1, "short_vqa": 2}


def _inp(**changes: object) -> PromptInput:
    values: dict[str, object] = {
        "language": "en", "domain": "ocr", "caption": "A shop sign reads OPEN.",
        "counts": COUNTS, "seeds": {"judgement": ["Is there any readable text in the image?"]},
        "ocr": ["OPEN", "9:00-17:00"], "prior": {"title": "Corner shop", "tags": ["shop"]},
    }  # fmt: skip
    values.update(changes)
    return PromptInput(**values)  # type: ignore[arg-type]


def test_caption_prompt_carries_caption_ocr_prior_seeds_and_rules() -> None:
    system, user = generation_messages("v2", _inp())
    assert "cannot see the image" in system
    assert "according to the description" in system
    for needed in ("A shop sign reads OPEN.", "- OPEN", "9:00-17:00", "title: Corner shop",
                   '["shop"]', "[judgement] Is there any readable text in the image?",
                   "4 judgement, 2 multiple_choice, 1 long_vqa, 2 short_vqa",
                   "2 answered Yes and 2 answered No", "at most 8 words",
                   "at least 20 words", "A, B, C or D", "JSON"):  # fmt: skip
        assert needed in user, needed


def test_vision_zh_tagged_prompt() -> None:
    system, user = generation_messages("v2", _inp(language="zh", mode="vision", format="tagged"))
    assert "所附图片" in system
    assert "简体中文" in system
    assert "其中 2 道答“是”、2 道答“否”" in user
    assert "<judgement>" in user
    assert "<Q1>…</Q1><C1>A. … B. … C. … D. …</C1><A1>B</A1>" in user


def test_per_kind_prompt_asks_for_one_kind_only() -> None:
    _, user = generation_messages("v2", _inp(counts={"judgement": 3}, format="tagged"))
    assert "3 judgement." in user
    assert "multiple_choice" not in user
    assert "2 answered Yes and 1 answered No" in user
    assert "<judgement>" not in user  # one kind: no blocks needed


def test_unknown_version_and_empty_counts_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"generate\.prompt_version.*v2"):
        generation_messages("v1", _inp())
    with pytest.raises(ConfigError, match=r"generate\.counts"):
        generation_messages("v2", _inp(counts={"judgement": 0}))


def test_schema_and_repair_message() -> None:
    schema = reply_schema(["short_vqa"])
    item = schema["properties"]["instructions"]["items"]
    assert item["properties"]["kind"]["enum"] == ["short_vqa"]
    text = repair_message("en", ["mc_option_count: needs exactly 4 options, got 3"], "tagged")
    assert "mc_option_count" in text
    assert "tagged format" in text
    assert "无法使用" in repair_message("zh", ["x"], "json")

from __future__ import annotations

from collections import Counter

from visinstruct.expand import SUFFIXES, conversations_for_image, human_prompt, suffix_for
from visinstruct.records import ImageRecord, Instruction, Provenance

IMAGE = ImageRecord(
    id="i" * 64, path="/data/a.jpg", domain="ocr", width=1, height=1, format="JPEG", bytes=1,
    phash="0" * 16,
)  # fmt: skip
PROV = Provenance(model="m", prompt_version="v1", config_hash="h")


def _instruction(n: int, kind: str = "short_vqa", language: str = "en") -> Instruction:
    return Instruction.model_validate(
        {"id": f"{n:032x}", "image_id": IMAGE.id, "domain": "ocr", "kind": kind,
         "language": language, "question": f"Question {n}?", "answer": "B",
         "choices": ["a", "b", "c", "d"] if kind == "multiple_choice" else [],
         "provenance": PROV}
    )  # fmt: skip


def test_multiple_choice_prompt_lists_options_then_a_suffix() -> None:
    lines = human_prompt(_instruction(1, "multiple_choice")).splitlines()
    assert lines[:5] == ["Question 1?", "A. a", "B. b", "C. c", "D. d"]
    assert lines[5] in SUFFIXES["en"]["multiple_choice"]


def test_suffixes_are_fixed_per_id_and_varied_across_ids() -> None:
    assert suffix_for("x", "judgement", "zh") == suffix_for("x", "judgement", "zh")
    used = Counter(suffix_for(f"{n}", "judgement", "en") for n in range(200))
    assert set(used) == set(SUFFIXES["en"]["judgement"])


def test_rounds_group_one_language_and_carry_one_image_token() -> None:
    items = [_instruction(n) for n in range(5)] + [_instruction(9, language="zh")]
    convs = list(conversations_for_image(items, IMAGE, IMAGE.path, turns=2))
    assert [len(c.instruction_ids) for c in convs] == [2, 2, 1, 1]
    for conv in convs:
        texts = [t.text for t in conv.turns]
        assert sum(t.count("<image>") for t in texts) == 1
        assert [t.role for t in conv.turns] == ["human", "gpt"] * len(conv.instruction_ids)
    assert convs[-1].instruction_ids == [f"{9:032x}"]
    single = list(conversations_for_image(items[:1], IMAGE, IMAGE.path))
    assert single[0].id == items[0].id

from __future__ import annotations

import json
from pathlib import Path

from visinstruct.expand import human_prompt, single_turn
from visinstruct.export import write_llava
from visinstruct.records import ImageRecord, Instruction, Provenance

IMAGE = ImageRecord(
    id="i" * 64, path="/data/a.jpg", domain="ocr", width=1, height=1, format="JPEG", bytes=1,
    phash="0" * 16,
)  # fmt: skip
PROV = Provenance(model="m", prompt_version="v1", config_hash="h")


def _instruction(kind: str, language: str = "en", **kw: object) -> Instruction:
    data: dict[str, object] = {"question": "What is shown?", "answer": "B", "choices": []}
    data.update(kw)
    return Instruction.model_validate(
        {"id": f"{kind}{language}", "image_id": IMAGE.id, "domain": "ocr", "kind": kind,
         "language": language, "provenance": PROV, **data}
    )  # fmt: skip


def test_prompts_carry_options_and_answer_format() -> None:
    mc = _instruction("multiple_choice", choices=["a", "b", "c", "d"])
    assert human_prompt(mc).splitlines() == [
        "What is shown?", "A. a", "B. b", "C. c", "D. d",
        "Reply with the letter of the correct option.",
    ]  # fmt: skip
    assert human_prompt(_instruction("long_vqa")) == "What is shown?"
    assert human_prompt(_instruction("judgement", "zh")).endswith("请回答“是”或“否”。")


def test_llava_file_shape(tmp_path: Path) -> None:
    convs = [single_turn(_instruction(k), IMAGE, IMAGE.path) for k in ("judgement", "short_vqa")]
    report = write_llava(convs, tmp_path / "out" / "llava.json")
    data = json.loads(report.path.read_text())
    assert report.records == 2
    assert report.images == 1
    assert not (tmp_path / "out" / "llava.json.partial").exists()
    for item in data:
        assert set(item) == {"id", "image", "conversations"}
        turns = item["conversations"]
        assert [t["from"] for t in turns] == ["human", "gpt"]
        assert turns[0]["value"].startswith("<image>\n")
        assert item["image"] == "/data/a.jpg"


def test_empty_export_is_valid_json(tmp_path: Path) -> None:
    report = write_llava([], tmp_path / "llava.json")
    assert json.loads(report.path.read_text()) == []

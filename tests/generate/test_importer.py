"""Importing the reference engine's saved generations through the same parser and checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visinstruct.generate import IMPORT_STAGE, Rules, import_generations
from visinstruct.generate import importer as importer_module
from visinstruct.generate.importer import import_hash, kind_of_prompt
from visinstruct.store import Store

from conftest import make_images

CAPTION = "A red square on the left and a blue circle on the right of a white background."
MC_PROMPT_ZH = (
    "给出图像的描述和问题列表，你需要设计三个与landmark相关的中文单项选择问题。\n"
    f"描述：{CAPTION}\n\n问题：['图中的建筑属于哪种风格？', '这座地标位于哪个城市？']\n"
    "你必须以以下格式输出生成的问题、选项和答案：\n<Q1> {the generated question 1} </Q1>"
)
JUDGE_PROMPT_EN = (
    "Provide a description of an image and a list of multiple questions, you need to desigin "
    "three true or false questions related to the landmark.\n"
    f"Description: {CAPTION}. \n Question: ['Is the <object> red?']. \n  You MUST output ..."
)

SHORT_PROMPT_EN = "Design three short question answering questions related to the landmark."


def rows(images: list[Path]) -> list[dict[str, Any] | str]:
    rel = [str(p.relative_to(p.parents[2])) for p in images]
    return [
        {
            "image_path": rel[0],
            "gpt_prompt": MC_PROMPT_ZH,
            "qa_raw": (
                "<Q1> 图中左边的方块是什么颜色？ </Q1> "
                "<C1> A. 蓝色 B. 红色 C. 绿色 D. 黄色 </C1> <A1> B. 红色 </A1>\n"
                "<Q2> 图中圆形在什么位置？ </Q2> <C2> A. 左边 B. 右边 C. 上方 </C2> <A2> B </A2>\n"
                "<Q3> 背景是什么颜色？ </Q3> <C3> A. 白色 B. 黑色 C. 灰色 D. 蓝色 </C3> "
                "<A3> 答案：A </A3>"
            ),
        },
        {
            "image_path": rel[1],
            "gpt_prompt": JUDGE_PROMPT_EN,
            "qa_raw": '<Q1> Is the square red? </Q1> <C1> {"Yes",  "No"} </C1> <A1> Yes </A1>\n'
            '<Q2> Is the circle green? </Q2> <C2> {"Yes",  "No"} </C2> <A2> No </A2>\n'
            "<Q3> According to the description, is the background white? </Q3> <A3> Yes </A3>",
        },
        {
            "image_path": rel[2],
            "gpt_prompt": SHORT_PROMPT_EN,
            "qa_raw": "<Q1>What colour is the circle?</Q1><A1>blue</A1>",
        },
        {"image_path": rel[3], "gpt_prompt": JUDGE_PROMPT_EN, "err": "RateLimitError(...)"},
        {"image_path": rel[3], "gpt_prompt": JUDGE_PROMPT_EN, "qa_raw": "error"},
        {"image_path": "landmark/missing.jpg", "gpt_prompt": "", "qa_raw": "<Q1>Q?</Q1><A1>x</A1>"},
        {
            "image_path": rel[3],
            "gpt_prompt": JUDGE_PROMPT_EN,
            "qa_raw": "<Q1>As mentioned in the caption, is it red?</Q1><A1>Yes</A1>",
        },
        "this line is not JSON",
    ]


def write_jsonl(path: Path, items: list[dict[str, Any] | str]) -> Path:
    lines = [i if isinstance(i, str) else json.dumps(i, ensure_ascii=False) for i in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def reference_file(tmp_path: Path) -> Path:
    images = make_images(tmp_path / "ref" / "images", {"landmark": 4})
    return write_jsonl(tmp_path / "ref" / "landmark_qa.jsonl", rows(images))


def test_import_checks_rows_collects_images_and_is_idempotent(tmp_path: Path) -> None:
    source = reference_file(tmp_path)
    rules = Rules()
    with Store(tmp_path / "p.db") as store:
        report = import_generations(store, source, rules, images_root=tmp_path / "ref" / "images")
        config_hash = import_hash(rules)
        instructions = list(store.instructions_of(config_hash))
        rejects = store.item_rejects(IMPORT_STAGE, config_hash)
        failures = store.failures(IMPORT_STAGE, config_hash)
        images = list(store.images())
        captions = list(store.captions(config_hash))
        again = import_generations(store, source, rules, images_root=tmp_path / "ref" / "images")
        assert store.count_instructions(config_hash) == len(instructions)
    assert config_hash.startswith("import:")
    assert report.rows == 8
    assert report.instructions == 5
    assert report.failed_rows == 1
    assert report.images_added == 4
    assert len(images) == 4
    assert {img.source for img in images} == {"reference-import"}
    assert {img.domain for img in images} == {"landmark"}
    skipped = dict(report.skipped)
    assert "reference call failed" in skipped[4]
    assert "reference call failed" in skipped[5]
    assert "image not found" in skipped[6]
    assert "--images-root" in skipped[6]
    assert "not a JSON line" in skipped[8]
    by_kind = sorted((i.kind, i.language, i.answer) for i in instructions)
    assert by_kind == [
        ("judgement", "en", "No"), ("judgement", "en", "Yes"),
        ("multiple_choice", "zh", "A"), ("multiple_choice", "zh", "B"),
        ("short_vqa", "en", "blue"),
    ]  # fmt: skip
    assert sorted(r["reason"].split(":")[0] for r in rejects) == ["leakage", "mc_option_count"]
    assert all(r["content"] for r in rejects)
    assert report.reasons == {"leakage": 2, "mc_option_count": 1}
    assert "As mentioned in the caption" in failures[0]["raw"]
    mc = next(i for i in instructions if i.kind == "multiple_choice")
    assert mc.provenance.seed_questions == ["图中的建筑属于哪种风格？", "这座地标位于哪个城市？"]
    assert mc.provenance.prompt_version == "reference"
    assert {c.text for c in captions} == {CAPTION}  # the "." the prompt added is dropped
    assert again.instructions == 0
    assert again.already_done == 3
    assert again.images_added == 0


def test_kind_and_language_options_override_inference(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", {"ocr": 1})
    source = write_jsonl(tmp_path / "rows.jsonl", [
        {"image_path": str(images[0]), "gpt_prompt": "", "qa_raw":
            "<Q1>What does the sign say?</Q1><A1>OPEN</A1>"},
    ])  # fmt: skip
    with Store(tmp_path / "p.db") as store:
        report = import_generations(store, source, Rules(), kind="judgement")
    assert report.instructions == 0
    assert report.failed_rows == 1
    assert report.reasons == {"judgement_answer": 1}


def test_a_row_whose_kind_is_unknown_is_refused_not_guessed(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", {"ocr": 1})
    source = write_jsonl(tmp_path / "rows.jsonl", [
        {"image_path": str(images[0]), "gpt_prompt": "", "qa_raw":
            "<Q1>Is the sign red?</Q1><A1>Yes</A1>"},
    ])  # fmt: skip
    with Store(tmp_path / "p.db") as store:
        report = import_generations(store, source, Rules())
        failures = store.failures(IMPORT_STAGE, import_hash(Rules()))
    assert report.instructions == 0
    assert report.reasons == {"unknown_kind": 1}
    assert "--kind" in failures[0]["last_error"]


def test_json_rows_are_read_by_the_json_reader(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", {"ocr": 1})
    reply = '```json\n[{"question": "What does the sign say?", "answer": "OPEN"}]\n```'
    source = write_jsonl(tmp_path / "rows.jsonl", [
        {"image_path": str(images[0]), "gpt_prompt": SHORT_PROMPT_EN, "qa_raw": reply},
    ])  # fmt: skip
    with Store(tmp_path / "p.db") as store:
        report = import_generations(store, source, Rules())
    assert report.instructions == 1


def test_kind_of_prompt_reads_reference_wording() -> None:
    assert kind_of_prompt(MC_PROMPT_ZH) == "multiple_choice"
    assert kind_of_prompt(JUDGE_PROMPT_EN) == "judgement"
    assert kind_of_prompt("设计三个与ocr相关的中文长问答问题") == "long_vqa"
    assert kind_of_prompt("three short question answering questions") == "short_vqa"
    assert kind_of_prompt("") is None


class Crash(Exception):
    pass


def test_an_import_commits_in_slices_and_a_rerun_finishes_without_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = make_images(tmp_path / "images", {"ocr": 2})
    size = importer_module.SLICE_ROWS
    rows: list[dict[str, Any] | str] = [
        {"image_path": str(images[i % 2]), "gpt_prompt": SHORT_PROMPT_EN,
         "qa_raw": f"<Q1>What number is on sign {i}?</Q1><A1>{i}</A1>"}
        for i in range(size * 2 + 5)
    ]  # fmt: skip
    rows.insert(3, rows[2])  # the same row twice within one slice: one unit
    source = write_jsonl(tmp_path / "rows.jsonl", rows)
    config_hash = import_hash(Rules())
    with Store(tmp_path / "p.db") as store:
        real = store.write_batch
        committed: list[int] = []

        def crash_after_one(writes: Any, calls: Any, *args: Any) -> int:
            if committed:
                raise Crash("power cut")
            committed.append(len(writes))
            return real(writes, calls, *args)

        monkeypatch.setattr(store, "write_batch", crash_after_one)
        with pytest.raises(Crash):
            import_generations(store, source, Rules())
    assert committed == [size - 1]  # one transaction for the first slice (less its repeat)
    with Store(tmp_path / "p.db") as store:
        assert store.count_instructions(config_hash) == size - 1
        report = import_generations(store, source, Rules())
        assert store.count_instructions(config_hash) == size * 2 + 5
    assert report.already_done == size
    assert report.instructions == size + 6
    assert report.rows == size * 2 + 6

"""Importing the MMInstruct reference layout, including its empty and misaligned files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visinstruct.errors import InputError
from visinstruct.seeds import import_reference, load_bank, load_domain_file, validate_path


def _section(en: list[str], zh: list[str]) -> dict[str, list[str]]:
    return {"Chinese": zh, "English": en}


def _reference(n_zh_choice: int = 2) -> dict[str, Any]:
    zh_choice = ["图中的文字是什么语言？", "标题位于海报的哪个位置？", "海报的主色调是什么？"]
    return {
        "judge": _section(
            ["Does the image contain <specific text>?"], ["图像是否包含<特定文本>？"]
        ),
        "choice": _section(
            ["Which language is the text in?", "Where is the title placed?"],
            zh_choice[:n_zh_choice],
        ),
        "sentence": _section(
            ["Recognise <all/top/bottom> text in the picture."],
            ["识别图片中<所有/上方/下方>的文本。"],
        ),
    }  # fmt: skip


def _write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "all_seed"
    folder.mkdir()
    _write(folder, "00009_ocr.json", json.dumps(_reference(), ensure_ascii=False))
    _write(folder, "00021_posters.json", json.dumps(_reference(n_zh_choice=3), ensure_ascii=False))
    _write(folder, "00007_attribute_recognition.json", "")
    _write(folder, "00013_commonsense_reasoning.json", "  {}  \n")
    _write(folder, "00014_complex_reasoning.json", " \n\t")
    _write(folder, "00015_broken.json", '{"judge": ')
    return folder


def test_import_folder_reports_empty_and_misaligned_files(
    reference_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "seeds"
    report = import_reference(reference_dir, out)

    assert [f.domain for f in report.imported] == ["ocr", "posters"]
    skipped = {Path(s.source).name: s.reason for s in report.skipped}
    assert skipped == {
        "00007_attribute_recognition.json": "empty file (0 bytes)",
        "00013_commonsense_reasoning.json": "empty JSON object ({})",
        "00014_complex_reasoning.json": "empty file (only whitespace)",
        "00015_broken.json": skipped["00015_broken.json"],
    }
    assert skipped["00015_broken.json"].startswith("not valid JSON")

    ocr, posters = report.imported
    assert ocr.warnings == []
    assert len(posters.warnings) == 1
    assert "choice: Chinese has 3 questions but English has 2" in posters.warnings[0]
    assert report.warnings == [f"{posters.source}: {posters.warnings[0]}"]
    assert posters.counts["multiple_choice"] == {"en": 2, "zh": 3}


def test_sentence_feeds_both_answer_lengths_and_output_loads(
    reference_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "project" / "seeds"
    import_reference(reference_dir / "00009_ocr.json", out)
    domain = load_domain_file(out / "ocr.yaml")
    assert domain.title == "OCR"
    assert domain.questions("judgement", "en") == ["Does the image contain <specific text>?"]
    assert domain.questions("long_vqa", "zh") == domain.questions("short_vqa", "zh")
    assert domain.questions("long_vqa", "en") == ["Recognise <all/top/bottom> text in the picture."]
    assert validate_path(out).ok
    assert "ocr" in load_bank(project_dir=tmp_path / "project").names()


def test_existing_output_is_kept_unless_overwrite(reference_dir: Path, tmp_path: Path) -> None:
    source = reference_dir / "00009_ocr.json"
    import_reference(source, tmp_path)
    (tmp_path / "ocr.yaml").write_text("# hand-corrected\n", encoding="utf-8")
    report = import_reference(source, tmp_path)
    assert report.imported == []
    assert "exists" in report.skipped[0].reason
    assert (tmp_path / "ocr.yaml").read_text(encoding="utf-8") == "# hand-corrected\n"
    assert import_reference(source, tmp_path, overwrite=True).imported[0].domain == "ocr"


def test_reference_spelling_maps_to_the_shipped_domain(tmp_path: Path) -> None:
    name = "00012_structuralized_imagetext_understanding.json"
    source = _write(tmp_path, name, json.dumps(_reference(), ensure_ascii=False))
    (item,) = import_reference(source, tmp_path / "out").imported
    assert item.domain == "structuralized_image_text_understanding"


def test_wrong_layout_is_reported(tmp_path: Path) -> None:
    data = _reference()
    del data["sentence"]
    source = _write(tmp_path, "00002_image_scene.json", json.dumps(data))
    report = import_reference(source, tmp_path / "out")
    assert report.imported == []
    assert "'sentence'" in report.skipped[0].reason


def test_missing_source_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        import_reference(tmp_path / "missing", tmp_path / "out")

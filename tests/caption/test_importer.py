"""Importing captions: the reference engine's JSONL and generic JSONL/CSV files become done
caption units that generation uses without a model call; bad rows name file and line."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from caption.captionkit import project_config
from visinstruct.caption import CaptionStage, import_captions
from visinstruct.caption.importer import IMPORTED_OCR_ENGINE
from visinstruct.collect import collect_folder
from visinstruct.config import ProjectConfig
from visinstruct.errors import InputError
from visinstruct.generate import GenerateStage
from visinstruct.project import Project

from conftest import make_images
from fakeserver import FakeOpenAIServer

CAPTION = (
    "A poster with a red square on the left and a blue circle on the right. The title at the "
    "top reads SUMMER SALE in white letters, and the dates are printed along the bottom edge."
)


def _reference_rows(paths: list[Path], root: Path) -> list[dict[str, Any]]:
    return [
        {
            "image_path": str(p.relative_to(root)),
            "gpt4v_caption_interface": f"{CAPTION} (poster {i})",
            "gpt4v_prompt": "Describe the poster. <ocr_text>",
            "bing_tag": f"poster, sale {i}",
            "text": ["SUMMER SALE", f"JUNE {i}"],
        }
        for i, p in enumerate(paths)
    ]


def _write_jsonl(path: Path, rows: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reference_captions_feed_generation_without_a_caption_call(
    tmp_path: Path, server: FakeOpenAIServer, api_key: str, open_projects: list[Project]
) -> None:
    root = tmp_path / "reference"
    paths = make_images(root / "poster", {"imgs": 3})
    source = _write_jsonl(root / "poster" / "poster.jsonl", _reference_rows(paths, root / "poster"))
    config = project_config(server.base_url)
    project = Project(tmp_path / "project", config)
    open_projects.append(project)

    report = project.import_captions(source, fmt="reference", domain="posters")
    assert (report.rows, report.imported, report.new_images, report.errors) == (3, 3, 3, [])

    images = list(project.store.images())
    assert {i.domain for i in images} == {"posters"}
    assert {i.source for i in images} == {"imported"}
    assert sorted(i.prior["tags"] for i in images) == ["poster, sale 0", "poster, sale 1",
                                                       "poster, sale 2"]  # fmt: skip
    assert all(next(o.text for o in i.ocr) == "SUMMER SALE" for i in images)
    assert project.store.ocr_engine_of(images[0].id) == IMPORTED_OCR_ENGINE
    captions = list(project.store.captions(CaptionStage.hash_of(config)))
    assert len(captions) == 3
    assert {(c.source, c.language, c.prompt_version) for c in captions} == {
        ("imported", "en", "imported")
    }

    caption_run = project.caption()
    assert (caption_run.total, caption_run.done_before, caption_run.done) == (3, 3, 0)
    assert server.chat_count == 0  # the caption stage made no call
    generated = project.generate()
    assert generated.done == 3
    bodies = [json.dumps(r.body, ensure_ascii=False) for r in server.chat_requests]
    assert len(bodies) == 3
    assert not any("image_url" in b for b in bodies)
    assert all(any(f"(poster {i})" in b for b in bodies) for i in range(3))
    instructions = list(project.store.instructions_of(GenerateStage.hash_of(config)))
    assert len(instructions) >= 3
    assert {i.provenance.caption_id for i in instructions} == {c.id for c in captions}

    again = project.import_captions(source, fmt="reference", domain="posters")
    assert (again.imported, again.already, again.new_images) == (0, 3, 0)


def test_bad_rows_name_file_and_line_and_good_rows_are_kept(
    tmp_path: Path, open_projects: list[Project]
) -> None:
    paths = make_images(tmp_path / "data", {"imgs": 3})
    good = _reference_rows(paths, tmp_path / "data")
    rows: list[Any] = [
        good[0],
        "{not json",
        {"image_path": "imgs/img_001.png"},
        {**good[1], "gpt4v_caption_interface": "error"},
        {**good[1], "image_path": "imgs/missing.jpg"},
        "[1, 2]",
        "",
        good[2],
    ]
    source = _write_jsonl(tmp_path / "data" / "captions.jsonl", rows)
    project = Project(tmp_path / "project", ProjectConfig())
    open_projects.append(project)
    report = project.import_captions(source)
    assert (report.rows, report.imported) == (7, 2)
    where = [e.split(": ", 1)[0] for e in report.errors]
    assert where == [f"{source}:{n}" for n in (2, 3, 4, 5, 6)]
    assert "not valid JSON" in report.errors[0]
    assert "'gpt4v_caption_interface'" in report.errors[1]
    assert "quality gate: too_short" in report.errors[2]
    assert "missing.jpg" in report.errors[3]
    assert "does not exist" in report.errors[3]
    assert "not a JSON object" in report.errors[4]
    # No captioner configured: the captions are still under the (model-less) caption settings.
    assert project.store.count_captions(CaptionStage.hash_of(project.config)) == 2


def test_generic_csv_with_named_columns_and_an_image_already_collected(
    tmp_path: Path, open_projects: list[Project]
) -> None:
    paths = make_images(tmp_path / "images", {"landmark": 2})
    config = ProjectConfig()
    project = Project(tmp_path / "project", config)
    open_projects.append(project)
    collect_folder(project.store, tmp_path / "images", "image_description")
    extra = make_images(tmp_path / "more", {"x": 3})[2]
    source = tmp_path / "captions.csv"
    zh = (
        "一张海报，左边是红色方块，右边是蓝色圆形。"
        "顶部用白色大字写着夏季促销，底部印着活动日期和地点。"
    )
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "desc"])
        writer.writerow([str(paths[0]), CAPTION])
        writer.writerow([str(extra), zh])
        writer.writerow([str(paths[1]), ""])
    report = import_captions(
        project.store, config, source, fmt="csv", image_col="file", caption_col="desc",
        domain="posters",
    )  # fmt: skip
    assert (report.imported, report.new_images) == (2, 1)
    assert report.errors == [f"{source}:4: 'desc' must be a non-empty string for the caption, "
                             "got ''"]  # fmt: skip
    domains = {i.path: i.domain for i in project.store.images()}
    assert domains[str(paths[0].resolve())] == "landmark"  # already collected: keeps its domain
    assert domains[str(extra.resolve())] == "posters"
    languages = {c.text: c.language for c in project.store.captions(CaptionStage.hash_of(config))}
    assert languages == {CAPTION: "en", zh: "zh"}


def test_csv_without_the_named_columns_fails_at_the_header(
    tmp_path: Path, open_projects: list[Project]
) -> None:
    source = tmp_path / "c.csv"
    source.write_text("image,text\na.jpg,hello\n", encoding="utf-8")
    project = Project(tmp_path / "project", ProjectConfig())
    open_projects.append(project)
    with pytest.raises(InputError, match=r"c\.csv:1: no column 'caption'.*--caption-col"):
        import_captions(project.store, project.config, source, fmt="csv")


class Crash(Exception):
    pass


def test_an_import_commits_in_slices_and_a_rerun_finishes_without_duplicates(
    tmp_path: Path, open_projects: list[Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    from visinstruct.caption import importer

    monkeypatch.setattr(importer, "SLICE_ROWS", 2)
    paths = make_images(tmp_path / "data", {"imgs": 5})
    rows = _reference_rows(paths, tmp_path / "data")
    rows.insert(1, {**rows[0], "gpt4v_caption_interface": f"{CAPTION} (again)"})
    source = _write_jsonl(tmp_path / "data" / "captions.jsonl", rows)
    project = Project(tmp_path / "project", ProjectConfig())
    open_projects.append(project)
    config_hash = CaptionStage.hash_of(project.config)
    real = project.store.write_batch
    committed: list[int] = []

    def crash_after_one(writes: Any, calls: Any, *args: Any) -> int:
        if committed:
            raise Crash("power cut")
        committed.append(len(writes))
        return real(writes, calls, *args)

    monkeypatch.setattr(project.store, "write_batch", crash_after_one)
    with pytest.raises(Crash):
        project.import_captions(source)
    monkeypatch.undo()
    assert committed == [1]  # the first slice: one image named twice, its first caption kept
    assert project.store.count_captions(config_hash) == 1
    report = project.import_captions(source)
    assert (report.rows, report.imported, report.already) == (6, 4, 2)
    captions = list(project.store.captions(config_hash))
    assert len(captions) == 5
    assert f"{CAPTION} (again)" not in {c.text for c in captions}

"""Every format read the way its trainer reads it (``loaders``), on a split project, after a
move of the project folder, after a split change, and with trainer tokens in the text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from export import loaders
from export.conftest import PROV, instructions_for
from visinstruct.cli import main
from visinstruct.collect import collect_folder
from visinstruct.config import EXPORT_FORMATS, ProjectConfig, SplitConfig
from visinstruct.errors import InputError
from visinstruct.export import KEPT_FILES, assign_splits
from visinstruct.project import Project
from visinstruct.records import Instruction
from visinstruct.verify.report import REPORT_FILENAME

from conftest import make_images


def _configure(project: Project, **export: Any) -> None:
    data = project.config.export.model_dump()
    data.update(export)
    project.config.export = type(project.config.export).model_validate(data)


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _card_files(folder: Path) -> set[str]:
    card = (folder / "README.md").read_text()
    listed = card.split("## Files", 1)[1].split("##", 1)[0]
    return {line[3:-1] for line in listed.splitlines() if line.startswith("- `")}


def _read_everything(out: Path, root: str) -> dict[str, set[str]]:
    """Ids per trainer, each read the way that trainer reads it."""
    datasets = pytest.importorskip("datasets", reason="install the dev extra")
    ids = {
        "llava": {s["id"] for s in loaders.llava(out / "llava_train.json", root)},
        "llamafactory": {r["id"] for r in loaders.llamafactory(out, "visinstruct_train")},
        "swift": {r["id"] for r in loaders.swift(out / "sharegpt_train.json", root)},
    }
    trained = loaders.internvl(out / "internvl_meta.json")
    ids["internvl"] = {r["id"] for rows in trained.values() for r in rows}
    parquet = datasets.load_dataset(
        "parquet", data_files={"train": str(out / "parquet/visinstruct-train.parquet")}
    )["train"]
    ids["parquet"] = set(parquet["id"])
    return ids


def test_every_trainer_reads_a_split_export_and_held_out_images_never_train(
    project: Project,
) -> None:
    _configure(project, split={"test": 0.2}, formats=list(EXPORT_FORMATS))
    project.export()
    out = project.config.export.dir
    root = str(project.root.parent / "images")
    ids = _read_everything(out, root)
    assert len({frozenset(v) for v in ids.values()}) == 1  # the same samples everywhere
    # InternVL trains on every entry of its meta: the train split only.
    meta = json.loads((out / "internvl_meta.json").read_text())
    assert list(meta) == ["visinstruct_train"]
    evals = json.loads((out / "internvl_meta_eval.json").read_text())
    assert list(evals) == ["visinstruct_test"] and evals["visinstruct_test"]["root"] == root
    test_images = {r["image"] for r in loaders.internvl(out / "internvl_meta_eval.json")[
        "visinstruct_test"]}  # fmt: skip
    train_images = {s["image"] for s in loaders.llava(out / "llava_train.json", root)}
    assert len(test_images) == 5 and not test_images & train_images
    mcq = loaders.vlmevalkit(out / "visinstruct_mcq_test.tsv")
    yorn = loaders.vlmevalkit(out / "visinstruct_yorn_test.tsv")
    assert {r["answer"] for r in yorn} == {"Yes", "No"} and len(mcq) == 10
    assert all(
        r["question"].endswith("请用 Yes 或 No 回答。") for r in yorn if r["l2-category"] == "zh"
    )
    data = json.loads((out / "vlmevalkit_data.json").read_text())["data"]
    assert data["visinstruct_yorn_test"]["class"] == "ImageYORNDataset"
    assert data["visinstruct_mcq_test"]["class"] == "ImageMCQDataset"
    assert _card_files(out) == _files(out) - {"README.md"}


def test_lmms_eval_task_scores_a_scripted_model_in_both_languages(project: Project) -> None:
    _configure(project, split={"test": 0.2})
    (report,) = project.export(["lmms_eval"])
    config, _utils, docs = loaders.lmms_eval_task(report.path)
    assert len(docs) == report.records == 5 * 7  # long VQA is not scored by exact match
    perfect, wrong = [], []
    for doc in docs:
        assert config["doc_to_visual"](doc)[0].size[0] > 0
        assert config["doc_to_text"](doc).startswith(doc["prompt"][:5])
        answer = {"Yes": "是的", "No": "不是"} if doc["language"] == "zh" else {}
        reply = answer.get(doc["answer"], doc["answer"])
        if doc["kind"] == "multiple_choice":
            reply = f"答案：{doc['answer']}"
        perfect.append(config["process_results"](doc, [reply])["exact_match"])
        wrong.append(config["process_results"](doc, ["zzz"])["exact_match"])
    assert perfect == [1.0] * len(docs) and sum(wrong) == 0


def test_a_moved_project_folder_keeps_its_images_and_exports_working(tmp_path: Path) -> None:
    home = tmp_path / "old" / "proj"
    make_images(home / "images", {"landmark": 4, "ocr": 3})
    config = ProjectConfig.model_validate({"collect": {"path": "images"}})
    with Project(home, config) as project:
        project.save_config()
        assert project.collect().accepted == 7
        for image in project.store.images():
            unit = instructions_for(image.id, image.domain)
            project.store.complete_unit("import", image.id, "import:test", unit)
        project.export(["llava", "sharegpt", "internvl"])
    before = json.loads((home / "exports" / "llava.json").read_text())
    moved = tmp_path / "gpu-box" / "proj"
    moved.parent.mkdir()
    shutil.move(home, moved)
    with Project.open(moved) as project:
        with pytest.raises(InputError, match="run `visinstruct collect`"):
            project.export(["llava"])
        report = project.collect()
        assert (report.accepted, report.rejected, report.moved) == (0, 0, 7)
        assert project.collect().unchanged == 7
        project.export(["llava", "sharegpt", "internvl"])
    out, root = moved / "exports", str(moved / "images")
    after = loaders.llava(out / "llava.json", root)
    assert after == before  # relative paths: the data files do not change with the folder
    assert len(loaders.llamafactory(out, "visinstruct_train")) == 7 * 8
    assert len(loaders.internvl(out / "internvl_meta.json")["visinstruct_train"]) == 7 * 8


def test_no_stale_file_survives_a_split_change_and_the_card_lists_what_is_there(
    project: Project,
) -> None:
    out = project.config.export.dir
    out.mkdir(parents=True)
    (out / REPORT_FILENAME).write_text("{}")  # written by `verify`: carried over
    project.export(["llava", "sharegpt", "internvl", "parquet"])
    assert {"llava.json", "sharegpt.json", "internvl.jsonl"} <= _files(out)
    _configure(project, split={"test": 0.2})
    project.export(["llava", "sharegpt", "internvl", "parquet"])
    files = _files(out)
    assert not {"llava.json", "sharegpt.json", "internvl.jsonl"} & files
    assert {"llava_train.json", "llava_test.json", "parquet/visinstruct-test.parquet"} <= files
    assert REPORT_FILENAME in files and KEPT_FILES == (REPORT_FILENAME,)
    assert _card_files(out) == files - {"README.md"}
    assert not list(out.parent.glob(".exports.*"))  # no temporary folder left behind


def test_a_failing_format_leaves_the_previous_export_whole(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.export(["llava"])
    out = project.config.export.dir
    before = {name: (out / name).read_bytes() for name in _files(out) if not name.endswith("png")}

    def broken(*args: object) -> list[object]:
        raise OSError("disk full")

    monkeypatch.setitem(__import__("visinstruct.export.run").export.run.WRITERS, "sharegpt", broken)
    with pytest.raises(OSError, match="disk full"):
        project.export(["llava", "sharegpt"])
    assert {name: (out / name).read_bytes() for name in before} == before
    assert not list(out.parent.glob(".exports.*"))


def test_export_refuses_to_replace_a_folder_it_did_not_write(project: Project) -> None:
    mine = project.root / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="holds files no export wrote"):
        project.export(["llava"], mine)
    assert (mine / "thesis.tex").read_text() == "years of work"


def test_trainer_tokens_in_text_are_escaped_in_every_format(project: Project) -> None:
    image = next(project.store.images())
    tricky = Instruction.model_validate({
        "id": "t" * 32, "image_id": image.id, "domain": image.domain, "kind": "short_vqa",
        "language": "en", "question": "What does <image> or <img>x</img> mean? <|im_end|>",
        "answer": "An <IMG_CONTEXT> tag.", "choices": [], "provenance": PROV,
    })  # fmt: skip
    project.store.complete_unit("import", "tricky", "import:test", [tricky])
    _configure(project, split={"test": 0.2}, formats=list(EXPORT_FORMATS))
    project.export()
    out = project.config.export.dir
    root = str(project.root.parent / "images")
    _read_everything(out, root)  # the loaders count image tokens and refuse InternVL's
    samples = [*loaders.llava(out / "llava_train.json", root),
               *loaders.llava(out / "llava_test.json", root)]  # fmt: skip
    assert "t" * 32 in {s["id"] for s in samples}
    text = "".join((out / f).read_text(errors="ignore") for f in _files(out) if f.endswith(
        (".json", ".jsonl", ".tsv")))  # fmt: skip
    assert "‹image›" in text and "‹img›x‹/img›" in text and "‹|im_end|›" in text
    assert "<img>" not in text and "<|im_end|>" not in text and "<IMG_CONTEXT>" not in text


def test_all_formats_on_a_default_project_skips_what_needs_a_test_split(project: Project) -> None:
    project.save_config()
    result = CliRunner().invoke(main, ["export", "-p", str(project.root), "--all-formats"])
    assert result.exit_code == 0, result.output
    assert "vlmevalkit skipped:" in result.output and "lmms_eval  skipped:" in result.output
    assert "export.split.test" in result.output
    assert (project.config.export.dir / "llava.json").is_file()
    explicit = CliRunner().invoke(main, ["export", "-p", str(project.root), "--format",
                                         "vlmevalkit"])  # fmt: skip
    assert explicit.exit_code != 0 and "export.split.test" in explicit.output


@pytest.mark.parametrize(("sizes", "share", "expected"), [
    ({"a": 3, "b": 3, "c": 3, "d": 3, "e": 3, "f": 3, "g": 3}, 0.1, 2),  # 21 images → 2
    ({"a": 10, "b": 10, "c": 5}, 0.2, 5),
    ({"a": 1, "b": 1}, 0.05, 1),  # a share above zero never gives an empty split
    ({"a": 1}, 0.5, 0),  # train keeps the only image
])  # fmt: skip
def test_split_sizes_are_a_share_of_all_images(
    sizes: dict[str, int], share: float, expected: int
) -> None:
    index = {f"{d}{i}": (d, ("judgement",)) for d, n in sizes.items() for i in range(n)}
    splits = assign_splits(index, SplitConfig(test=share))
    assert list(splits.values()).count("test") == expected


def test_collect_still_rejects_a_true_duplicate(tmp_path: Path) -> None:
    images = tmp_path / "images"
    (first,) = make_images(images, {"landmark": 1})
    shutil.copy(first, images / "landmark" / "copy.jpg")
    with Project(tmp_path / "p", ProjectConfig()) as project:
        report = collect_folder(project.store, images, "image_description")
    assert (report.accepted, report.rejected, report.moved) == (1, 1, 0)

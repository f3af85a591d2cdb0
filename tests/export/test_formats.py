"""Every export format of a 200-instruction project, checked against what its loader expects."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from export import loaders
from visinstruct.errors import InputError
from visinstruct.export import EXPORT_FORMATS
from visinstruct.project import Project


def _configure(project: Project, **export: Any) -> None:
    data = project.config.export.model_dump()
    data.update(export)
    project.config.export = type(project.config.export).model_validate(data)


def _images_of_llava(path: Path) -> set[str]:
    return {r["image"] for r in json.loads(path.read_text())}


def test_llava_sharegpt_internvl_fields_and_image_tokens(project: Project) -> None:
    reports = project.export(["llava", "sharegpt", "internvl"])
    out = project.config.export.dir
    root = str(project.root.parent / "images")  # the deepest folder holding every image
    assert {(r.format, r.records) for r in reports} == {
        ("llava", 200), ("sharegpt", 200), ("internvl", 200)
    }  # fmt: skip
    samples = loaders.llava(out / "llava.json", image_folder=root)
    assert all(set(item) == {"id", "image", "conversations"} for item in samples)
    assert not any(Path(item["image"]).is_absolute() for item in samples)
    rows = loaders.llamafactory(out, "visinstruct_train")
    assert [r["id"] for r in rows] == [s["id"] for s in samples]
    assert all([m["role"] for m in r["messages"]] == ["user", "assistant"] for r in rows)
    info = json.loads((out / "dataset_info.json").read_text())["visinstruct_train"]
    assert info["media_dir"] == root and info["columns"] == {"messages": "messages",
                                                            "images": "images"}  # fmt: skip
    assert loaders.swift(out / "sharegpt.json", root_image_dir=root) == rows
    trained = loaders.internvl(out / "internvl_meta.json")
    (meta,) = json.loads((out / "internvl_meta.json").read_text()).values()
    assert set(meta) == {"root", "annotation", "data_augment", "repeat_time", "length"}
    assert meta["root"] == root and meta["length"] == 200
    assert [r["id"] for r in trained["visinstruct_train"]] == [s["id"] for s in samples]


def test_parquet_rows_carry_image_bytes_and_load_with_datasets(project: Project) -> None:
    datasets = pytest.importorskip("datasets", reason="install the dev extra")
    (report,) = project.export(["parquet"])
    assert report.records == 200
    loaded = datasets.load_dataset("parquet", data_files=str(report.path), split="train")
    assert len(loaded) == 200
    assert isinstance(loaded.features["image"], datasets.Image)
    raw = loaded.cast_column("image", datasets.Image(decode=False))
    images = {i.id: i for i in project.store.images()}
    for row, raw_row in zip(loaded, raw, strict=True):
        original = images[row["image_id"]]
        assert raw_row["image"]["bytes"] == Path(original.path).read_bytes()
        assert row["image"].size == (original.width, original.height)
        assert row["conversations"][0]["value"].count("<image>") == 1


def test_splits_never_share_an_image_and_follow_domains(project: Project) -> None:
    _configure(project, split={"validation": 0.2, "test": 0.2, "seed": 3}, formats=EXPORT_FORMATS)
    reports = project.export()
    out = project.config.export.dir
    seen = {s: _images_of_llava(out / f"llava_{s}.json") for s in ("train", "validation", "test")}
    assert not seen["train"] & seen["validation"]
    assert not seen["train"] & seen["test"]
    assert not seen["validation"] & seen["test"]
    assert sum(len(v) for v in seen.values()) == 25
    # Stratified: every domain with 10 images holds out 2 for test and 2 for validation.
    test_domains = sorted(Path(p).parent.name for p in seen["test"])
    assert test_domains.count("landmark") == 2 and test_domains.count("ocr") == 2
    assert {r.format for r in reports} == set(EXPORT_FORMATS)


def _tsv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text()), delimiter="\t"))


def test_vlmevalkit_tsvs_hold_the_test_split(project: Project) -> None:
    _configure(project, split={"test": 0.2})
    project.export(["vlmevalkit"])
    out = project.config.export.dir
    mcq = _tsv(out / "visinstruct_mcq_test.tsv")
    yorn = _tsv(out / "visinstruct_yorn_test.tsv")
    assert len(mcq) == 5 * 2 and len(yorn) == 5 * 3
    assert list(mcq[0]) == ["index", "image", "question", "A", "B", "C", "D", "answer",
                            "category", "l2-category", "id", "image_id"]  # fmt: skip
    ids = {i.id for i in project.store.instructions(project.scope())}
    assert {r["id"] for r in mcq + yorn} <= ids
    for rows in (mcq, yorn):
        by_index = {r["index"]: r for r in rows}
        for row in rows:
            image = row["image"]
            if len(image) <= 64:  # a reference to the row that holds this image
                image = by_index[image]["image"]
            Image.open(io.BytesIO(base64.b64decode(image))).verify()
    assert {r["answer"] for r in mcq} <= set("ABCD")
    assert {r["answer"] for r in yorn} == {"Yes", "No"}


def test_vlmevalkit_without_a_test_split_says_what_to_set(project: Project) -> None:
    with pytest.raises(InputError, match=r"export\.split\.test"):
        project.export(["vlmevalkit"])


def test_review_status_and_failed_checks_are_filtered(project: Project) -> None:
    first = next(project.store.instructions(project.scope()))
    rejected = first.model_copy(update={"id": "r" * 32, "review_status": "rejected"})
    failed = first.model_copy(
        update={"id": "f" * 32, "checks": {"grounded": {"passed": False, "score": 0.1}}}
    )
    accepted = failed.model_copy(update={"id": "a" * 32, "review_status": "accepted"})
    project.store.complete_unit("import", "extra", "import:test", [rejected, failed, accepted])
    (report,) = project.export(["llava"])
    assert report.records == 201  # a reviewer's accept outranks the failed automatic check
    stats = project.stats()
    assert stats["review"]["in_scope"] == 203
    assert stats["review"]["by_status"]["rejected"] == 1
    assert stats["verification"] == {"checked": 2, "failed": 2, "checked_rate": 0.01}


def test_multi_round_conversations(project: Project) -> None:
    _configure(project, turns=3)
    (report,) = project.export(["llava"])
    records = json.loads(report.path.read_text())
    # 6 English per image → 2 conversations of 3; 2 Chinese → 1 of 2.
    assert report.records == 25 * 3
    for item in records:
        humans = [t["value"] for t in item["conversations"] if t["from"] == "human"]
        assert 1 <= len(humans) <= 3
        assert sum(h.count("<image>") for h in humans) == 1 and humans[0].startswith("<image>")


def test_unknown_format_is_named(project: Project) -> None:
    with pytest.raises(InputError, match="'csv'"):
        project.export(["csv"])


def test_all_formats_skips_a_format_whose_extra_is_missing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    reports = project.export(["llava", "parquet"], skip_unavailable=True)
    (skipped,) = [r for r in reports if r.skipped]
    assert skipped.format == "parquet" and "pip install 'visinstruct[parquet]'" in skipped.skipped
    assert any(r.format == "llava" and r.records for r in reports)
    with pytest.raises(InputError, match=r"parquet export cannot be written: it needs pyarrow"):
        project.export(["parquet"])

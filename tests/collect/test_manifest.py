"""The JSONL manifest of labels: rows become images with priors; bad rows are rejected."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PIL import Image

from visinstruct.collect.manifest import collect_manifest, read_manifest
from visinstruct.config import CONFIG_FILENAME
from visinstruct.project import Project
from visinstruct.store import Store


def _write(folder: Path, rows: list[Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("a.png", "b.png"):
        colour = (200, 20, 20) if name == "a.png" else (20, 20, 200)
        Image.new("RGB", (64, 48), colour).save(folder / name)
    manifest = folder / "labels.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


ROWS: list[Any] = [
    {"path": "a.png", "domain": "species_recognition", "labels": ["cat"], "tags": ["pet"],
     "source_url": "https://example.org/a"},
    {"path": "b.png", "chart": {"type": "bar", "x": ["x", "y"], "y": [1, 2.5], "unit": "kg"}},
    {"path": "missing.png", "labels": ["ghost"]},
    "{not json",
    {"path": "a.png", "chart": {"x": ["x"], "y": [1, 2]}},
    {"path": "b.png", "domain": "Bad Domain"},
]  # fmt: skip


def test_rows_become_images_with_their_labels(tmp_path: Path) -> None:
    manifest = _write(tmp_path / "imgs", ROWS)
    with Store(tmp_path / "db.sqlite") as store:
        report = collect_manifest(store, manifest, "image_description")
        assert (report.accepted, report.rejected) == (2, 4)
        images = {Path(i.path).name: i for i in store.images()}
        a, b = images["a.png"], images["b.png"]
        assert a.domain == "species_recognition"
        assert b.domain == "image_description"
        assert a.prior == {
            "labels": ["cat"],
            "tags": ["pet"],
            "source_url": "https://example.org/a",
        }
        assert b.prior["chart"]["y"] == [1.0, 2.5]
        assert a.source == "manifest"
        reasons = {r.path: r.reason for r in store.rejections()}
    missing = reasons[str((tmp_path / "imgs" / "missing.png").resolve())]
    assert "missing file" in missing
    assert "labels.jsonl line 3" in missing
    assert "not JSON" in reasons[f"{manifest}:4"]
    assert "x has 1 entries but y has 2" in reasons[f"{manifest}:5"]
    assert "domain" in reasons[f"{manifest}:6"]
    assert report.reasons == {"missing file": 1, "invalid row": 3}


def test_rerun_skips_unchanged_files_but_picks_up_new_labels(tmp_path: Path) -> None:
    manifest = _write(tmp_path / "imgs", ROWS[:1])
    with Store(tmp_path / "db.sqlite") as store:
        collect_manifest(store, manifest, "image_description")
        manifest.write_text(json.dumps({"path": "a.png", "labels": ["cat", "rug"]}) + "\n")
        again = collect_manifest(store, manifest, "image_description")
        assert (again.accepted, again.unchanged) == (0, 1)
        (image,) = list(store.images())
        assert image.prior == {"labels": ["cat", "rug"]}


def test_read_manifest_resolves_paths_against_the_manifest(tmp_path: Path) -> None:
    manifest = _write(tmp_path / "deep" / "imgs", ROWS[:2])
    entries, problems = read_manifest(manifest)
    assert problems == []
    assert [e.file for e in entries] == [
        (manifest.parent / n).resolve() for n in ("a.png", "b.png")
    ]


def test_project_collects_a_manifest_named_relative_to_its_config(tmp_path: Path) -> None:
    _write(tmp_path / "proj" / "images", ROWS[:2])
    (tmp_path / "proj" / CONFIG_FILENAME).write_text(
        "version: 1\ncollect:\n  manifest: images/labels.jsonl\n", encoding="utf-8"
    )
    cwd = os.getcwd()
    os.chdir(tmp_path)  # the manifest must resolve against the config, not the cwd
    try:
        with Project.open(tmp_path / "proj") as project:
            assert (
                project.config.collect.manifest == (tmp_path / "proj/images/labels.jsonl").resolve()
            )
            report = project.collect()
    finally:
        os.chdir(cwd)
    assert report.accepted == 2

"""``visinstruct collect`` with source options, and ``collect expand``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from collect.corpus import picture
from visinstruct.cli import main


def _project(tmp_path: Path, extra: str = "") -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "visinstruct.yaml").write_text(
        "version: 1\ncollect:\n  near_duplicate_distance: 8\n" + extra, encoding="utf-8"
    )
    return project


def test_collect_options_and_report(tmp_path: Path) -> None:
    images = tmp_path / "images"
    (images / "landmark").mkdir(parents=True)
    picture(1, (400, 300)).save(images / "landmark" / "a.png")
    picture(1, (400, 300)).resize((200, 150)).save(images / "landmark" / "b.png")
    (images / "bad.png").write_bytes(b"")
    manifest = tmp_path / "m.jsonl"
    picture(2).save(tmp_path / "m.png")
    manifest.write_text(json.dumps({"path": "m.png", "domain": "my_domain"}) + "\n")
    project = _project(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main, ["collect", "-p", str(project), "--path", str(images), "--manifest", str(manifest)]
    )
    assert result.exit_code == 0, result.output
    assert "2 new images, 2 rejected, 0 unchanged" in result.output
    assert "rejected 1: near duplicate" in result.output
    assert "a.png ← b.png (d=" in result.output
    assert "my_domain" in result.output  # unknown domain reported once
    report = json.loads((project / "reports" / "collect.json").read_text(encoding="utf-8"))
    assert report["clusters"][0]["kept"].endswith("a.png")
    assert report["project"]["rejections"] == {"empty file": 1, "near duplicate": 1}


def test_collect_without_sources_says_what_to_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", "-p", str(_project(tmp_path))])
    assert result.exit_code == 2
    assert "collect.path" in result.output


def test_collect_expand(tmp_path: Path) -> None:
    import numpy as np

    pool = tmp_path / "pool"
    pool.mkdir()
    for n in range(3):
        picture(50 + n).save(pool / f"{n}.png")
    np.save(pool / "emb.npy", np.array([[1, 0], [0.95, 0.3], [0, 1]], dtype=np.float32))
    (pool / "refs.txt").write_text("0.png\n1.png\n2.png\n", encoding="utf-8")
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("ref,domain\n0.png,artwork\n", encoding="utf-8")
    project = _project(tmp_path)
    result = CliRunner().invoke(main, [
        "collect", "-p", str(project), "expand", "--seeds", str(seeds),
        "--pool", str(pool / "emb.npy"), "--pool-refs", str(pool / "refs.txt"),
        "-k", "5", "--min-similarity", "0.9", "--index", "exact",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 new images, 0 rejected" in result.output

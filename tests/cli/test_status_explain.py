"""``status`` and the run summary say why: rejected files by reason with the first names,
domains without seeds and what they borrow, failed units with their last error."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from visinstruct.caption import CaptionStage
from visinstruct.cli import main
from visinstruct.config import ProjectConfig
from visinstruct.project import Project

from conftest import make_images


def _project(tmp_path: Path) -> Path:
    images = tmp_path / "images"
    make_images(images, {"animals": 2, "landmark": 1})
    for i in range(5):
        (images / "landmark" / f"broken_{i}.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    (images / "landmark" / "notes.txt").write_text("hello")
    config = ProjectConfig.model_validate(
        {"collect": {"path": str(images)}, "models": {"captioner": {"model": "m"}}}
    )
    with Project(tmp_path / "p", config) as project:
        project.save_config()
        project.collect()
        spec_hash = CaptionStage.hash_of(project.config)
        project.store.fail_unit("caption", "img-1", spec_hash, "HTTP 500: upstream down", None, 3)
    return tmp_path / "p"


def test_status_names_rejected_files_unknown_domains_and_failed_units(tmp_path: Path) -> None:
    project = _project(tmp_path)
    shown = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["status", "--project", str(project)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "broken_0.jpg, broken_1.jpg, broken_2.jpg, … 3 more (status --rejected)" in text
    assert (
        "domain animals (2 images) is not in the seed bank: it borrows the image_description"
        in text
    )
    assert "caption failed: img-1 after 3 attempts: HTTP 500: upstream down" in text

    every = CliRunner().invoke(main, ["status", "--project", str(project), "--rejected"])
    assert all(f"broken_{i}.jpg" in every.output for i in range(5))

    data = json.loads(
        CliRunner().invoke(main, ["status", "-p", str(project), "--json", "--rejected"]).stdout
    )
    explained = data["explain"]
    groups = {k: v["count"] for k, v in explained["rejected"].items()}
    assert sum(groups.values()) == 6
    assert all(len(v["files"]) == v["count"] for v in explained["rejected"].values())
    assert explained["unknown_domains"] == {
        "animals": {"images": 2, "seeds_from": "image_description"}
    }
    assert explained["failed_units"]["caption"][0]["last_error"] == "HTTP 500: upstream down"


def test_init_local_writes_a_template_without_rate_limits(tmp_path: Path) -> None:
    from visinstruct.config import load_config

    result = CliRunner().invoke(main, ["init", str(tmp_path / "local"), "--local"])
    assert result.exit_code == 0, result.output
    config = load_config(tmp_path / "local" / "visinstruct.yaml")
    assert config.models.captioner is not None and config.models.generator is not None
    for spec in (config.models.captioner, config.models.generator):
        assert spec.requests_per_minute is None and spec.tokens_per_minute is None
        assert spec.base_url == "http://127.0.0.1:8000/v1"
    hosted = CliRunner().invoke(main, ["init", str(tmp_path / "hosted")])
    assert hosted.exit_code == 0
    assert "2.3" in (tmp_path / "hosted" / "visinstruct.yaml").read_text()

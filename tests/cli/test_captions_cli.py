"""``visinstruct ocr``, ``visinstruct import captions`` and the OCR step of ``visinstruct run``."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from caption.captionkit import (
    KEY,
    KEY_ENV,
    draw_text_image,
    project_config,
    require_ocr_libraries,
)
from visinstruct.caption import ocr as ocr_module
from visinstruct.cli.captions import import_captions_cmd
from visinstruct.cli.main import main
from visinstruct.config import CONFIG_FILENAME, ProjectConfig, write_config

from conftest import make_images
from fakeserver import FakeOpenAIServer

CAPTION = (
    "A red square on the left and a blue circle on the right of a plain background; the square "
    "is the larger of the two and nothing else is in the picture."
)


def _project_dir(tmp_path: Path, config: ProjectConfig) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    write_config(config, folder / CONFIG_FILENAME)
    return folder


def _flat(text: str) -> str:
    """Terminal output with rich's line wrapping undone."""
    return " ".join(text.split())


def _import_group() -> click.Group:
    """``visinstruct import`` as the lead registers it: a group holding our command."""
    group = click.Group("import")
    group.add_command(import_captions_cmd)
    return group


def test_import_captions_reports_rows_and_bad_lines(tmp_path: Path) -> None:
    paths = make_images(tmp_path / "data", {"imgs": 2})
    rows = [
        {"image_path": f"imgs/{paths[0].name}", "gpt4v_caption_interface": CAPTION},
        {"image_path": "imgs/nope.jpg", "gpt4v_caption_interface": CAPTION},
        {"image_path": f"imgs/{paths[1].name}", "gpt4v_caption_interface": CAPTION + " Two."},
    ]
    source = tmp_path / "data" / "caps.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    project = _project_dir(tmp_path, ProjectConfig())
    assert import_captions_cmd.name == "captions"
    runner = CliRunner()
    result = runner.invoke(
        _import_group(), ["captions", str(source), "--format", "reference", "--domain",
                          "posters", "--project", str(project)],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "Imported 2 captions (2 new images)" in result.stdout
    assert "1 bad rows" in result.stdout
    assert f"{source}:2: image" in result.stderr
    assert "no captioner model is configured" in result.stderr
    status = runner.invoke(main, ["status", "--project", str(project), "--json"])
    assert json.loads(status.stdout)["stages"]["caption"]["done"] == 2
    again = runner.invoke(_import_group(), ["captions", str(source), "-p", str(project)])
    assert "Imported 0 captions" in again.stdout
    assert "2 already captioned" in again.stdout


def test_import_generic_jsonl_with_column_options(tmp_path: Path) -> None:
    paths = make_images(tmp_path / "data", {"imgs": 1})
    source = tmp_path / "data" / "caps.jsonl"
    source.write_text(json.dumps({"file": str(paths[0]), "text": CAPTION}) + "\n")
    project = _project_dir(tmp_path, ProjectConfig())
    result = CliRunner().invoke(
        _import_group(), ["captions", str(source), "--format", "jsonl", "--image-col", "file",
                          "--caption-col", "text", "-p", str(project)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Imported 1 captions (1 new images)" in result.stdout


def test_ocr_command_off_and_missing_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    off = _project_dir(tmp_path, ProjectConfig.model_validate({"ocr": {"enabled": False}}))
    result = CliRunner().invoke(main, ["ocr", "-p", str(off)])
    assert result.exit_code == 0
    assert "ocr.enabled: false" in result.stdout
    monkeypatch.setattr(ocr_module, "ocr_installed", lambda: False)
    (off / CONFIG_FILENAME).write_text("ocr:\n  enabled: auto\n")
    missing = CliRunner().invoke(main, ["ocr", "-p", str(off)])
    assert missing.exit_code == 2
    assert "pip install 'visinstruct[ocr]'" in _flat(missing.stderr)


@pytest.mark.slow
def test_ocr_command_reads_then_uses_the_cache(tmp_path: Path) -> None:
    require_ocr_libraries()
    images = tmp_path / "images"
    draw_text_image(images / "posters" / "a.png", ["BIG SALE"])
    draw_text_image(images / "ocr" / "b.png", ["北京欢迎你"])
    project = _project_dir(
        tmp_path, ProjectConfig.model_validate({"collect": {"path": str(images)}})
    )
    runner = CliRunner()
    assert runner.invoke(main, ["collect", "-p", str(project)]).exit_code == 0
    first = runner.invoke(main, ["ocr", "-p", str(project)])
    assert first.exit_code == 0, first.output
    assert "ocr: 2 images read (2 text lines), 0 already read" in first.stdout
    second = runner.invoke(main, ["ocr", "-p", str(project)])
    assert "ocr: 0 images read (0 text lines), 2 already read" in second.stdout


@pytest.mark.slow
def test_run_reads_text_before_captioning_and_the_prompt_carries_it(
    tmp_path: Path, server: FakeOpenAIServer
) -> None:
    require_ocr_libraries()
    images = tmp_path / "images"
    draw_text_image(images / "posters" / "a.png", ["SUMMER FESTIVAL"])
    make_images(images, {"landmark": 1})
    env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": KEY}
    result = CliRunner(env=env).invoke(
        main, ["run", str(images), "--out", str(tmp_path / "project"), "--model", "m"]
    )
    assert result.exit_code == 0, result.output
    assert "ocr: 2 images read (1 text lines), 0 already read" in result.stderr
    captions = [r.body for r in server.chat_requests if "image_url" in json.dumps(r.body)]
    prompts = [json.dumps(b, ensure_ascii=False) for b in captions]
    assert len(prompts) == 2
    with_text = [p for p in prompts if "The image contains this text" in p]
    assert len(with_text) == 1
    assert "SUMMERFESTIVAL" in "".join(with_text[0].split()).upper()


def test_run_with_ocr_required_but_missing_stops_with_the_install_hint(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr_module, "ocr_installed", lambda: False)
    monkeypatch.setenv(KEY_ENV, KEY)
    images = tmp_path / "images"
    make_images(images, {"landmark": 1})
    config = project_config(server.base_url, ocr={"enabled": True}, collect={"path": str(images)})
    project = _project_dir(tmp_path, config)
    result = CliRunner().invoke(main, ["run", "--config", str(project / CONFIG_FILENAME)])
    assert result.exit_code == 2
    assert "ocr.enabled" in result.stderr
    assert "pip install 'visinstruct[ocr]'" in _flat(result.stderr)
    assert server.chat_count == 0  # stopped before any paid call

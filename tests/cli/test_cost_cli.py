"""``visinstruct cost estimate`` before any call, checked against ``cost report`` after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from caption.captionkit import KEY, KEY_ENV, project_config
from visinstruct.cli.main import main
from visinstruct.config import CONFIG_FILENAME, ProjectConfig, write_config

from conftest import make_images
from fakeserver import FakeOpenAIServer
from responders import caption_for


def _project(tmp_path: Path, config: ProjectConfig, n: int = 6) -> Path:
    images = tmp_path / "images"
    make_images(images, {"landmark": n})
    config.collect.path = images
    folder = tmp_path / "project"
    folder.mkdir()
    write_config(config, folder / CONFIG_FILENAME)
    return folder


def _json(args: list[str]) -> Any:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_estimate_before_any_call_then_matches_the_report(
    tmp_path: Path, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    config = project_config(server.base_url)
    assert config.models.captioner is not None
    config.models.captioner.price_input_per_1m = 1.0
    config.models.captioner.price_output_per_1m = 4.0
    project = _project(tmp_path, config)
    runner = CliRunner()
    assert runner.invoke(main, ["collect", "-p", str(project)]).exit_code == 0

    table = runner.invoke(main, ["cost", "estimate", "-p", str(project)])
    assert table.exit_code == 0, table.output
    assert "caption" in table.stdout
    assert "$" in table.stdout
    assert "300 output tokens per caption assumed" in " ".join(table.stdout.split())
    reply_tokens = str(len(caption_for("x")) // 4)
    (estimate,) = _json(["cost", "estimate", "-p", str(project), "--counting", "bytes",
                         "--output-tokens", reply_tokens, "--json"])  # fmt: skip
    assert server.chat_count == 0
    assert estimate["stage"] == "caption"
    assert estimate["units"] == 6
    assert estimate["cost_usd"] > 0

    assert runner.invoke(main, ["caption", "-p", str(project)]).exit_code == 0
    report = _json(["cost", "report", "-p", str(project), "--json"])["caption"]
    assert report["calls"] == 6
    measured = report["input_tokens"] + report["output_tokens"]
    assert abs(estimate["total_tokens"] - measured) / measured < 0.10
    assert abs(estimate["cost_usd"] - report["cost_usd"]) / report["cost_usd"] < 0.10
    (after,) = _json(["cost", "estimate", "-p", str(project), "--json"])
    assert after["units"] == 0


def test_estimate_without_a_captioner_says_what_to_configure(tmp_path: Path) -> None:
    project = _project(tmp_path, ProjectConfig())
    result = CliRunner().invoke(main, ["cost", "estimate", "-p", str(project)])
    assert result.exit_code == 2
    assert "models.captioner" in result.stderr

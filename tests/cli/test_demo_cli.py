"""``visinstruct demo`` from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from visinstruct.cli import main


def test_demo_runs_offline_and_says_where_the_exports_are(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)], env={"OPENAI_API_KEY": None})
    assert result.exit_code == 0, result.output
    assert "collect: 14 new images" in result.output
    assert str(out.resolve() / "exports" / "llava.json") in result.output
    assert "generator: {model: gpt-4o-mini}" in result.output
    assert f"visinstruct run --config {out.resolve() / 'visinstruct.yaml'}" in result.output
    assert (out / "exports" / "llava.json").stat().st_size > 0

    again = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "0 new images, 0 rejected, 14 unchanged" in again.output
    assert "caption: 0 done, 0 failed (14 already done of 14)" in again.output


def test_missing_sample_photos_give_an_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "skimage", None)  # as if the demo extra were not installed
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "pip install 'visinstruct[demo]'" in result.output

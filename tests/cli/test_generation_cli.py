"""``visinstruct import generations`` (the command object; the lead mounts it under ``import``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from generate.test_importer import reference_file
from visinstruct.cli.generation import import_generations_cmd
from visinstruct.config import CONFIG_FILENAME


def test_import_generations_prints_a_summary_and_reruns_idempotently(tmp_path: Path) -> None:
    source = reference_file(tmp_path)
    project = tmp_path / "project"
    args = [str(source), "--project", str(project), "--images-root",
            str(tmp_path / "ref" / "images")]  # fmt: skip
    first = CliRunner().invoke(import_generations_cmd, args)
    assert first.exit_code == 0, first.output
    assert "8 rows: 5 instructions imported, 2 items rejected, 1 rows with nothing usable" in (
        first.output
    )
    assert "leakage 2" in first.output
    assert "mc_option_count 1" in first.output
    assert "line 6: image not found" in first.output
    second = CliRunner().invoke(import_generations_cmd, [*args, "--json"])
    assert second.exit_code == 0, second.output
    report = json.loads(second.output)
    assert report["instructions"] == 0
    assert report["already_done"] == 3


def test_project_thresholds_apply_and_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    source = reference_file(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / CONFIG_FILENAME).write_text("generate:\n  short_max_words: 0\n")
    result = CliRunner().invoke(import_generations_cmd, [str(source), "-p", str(project)])
    assert result.exit_code == 2
    assert "generate.short_max_words" in result.output
    (project / CONFIG_FILENAME).write_text("generate:\n  reject_seed_copies: false\n")
    result = CliRunner().invoke(
        import_generations_cmd,
        [str(source), "-p", str(project), "--images-root", str(tmp_path / "ref" / "images"),
         "--kind", "judgement", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    reasons = json.loads(result.output)["reasons"]
    # Multiple-choice rows read as judgements: their A-D options or letters are refused.
    assert reasons.get("judgement_answer", 0) + reasons.get("judgement_options", 0) >= 3


def test_an_old_character_limit_in_the_config_says_how_to_convert(tmp_path: Path) -> None:
    source = reference_file(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / CONFIG_FILENAME).write_text(
        "generate:\n  short_max_words: 8\n  long_min_chars: 80\n"
    )
    result = CliRunner().invoke(import_generations_cmd, [str(source), "-p", str(project)])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "line 3, generate.long_min_chars" in output
    assert "long_min_words: 16" in output

"""``visinstruct import dataset`` (invoked on the command directly; main.py registers it)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from expand.imports.datasets import new_project, open_store, save_picture, scienceqa
from visinstruct.cli.datasets import import_dataset_cmd


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(import_dataset_cmd, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_scienceqa_import_prints_counts_reasons_and_errors(tmp_path: Path) -> None:
    project = new_project(tmp_path / "project")
    data = scienceqa(tmp_path / "scienceqa")
    code, out, err = _invoke(str(data.parent), "--format", "scienceqa", "-p", str(project))
    assert code == 1, out + err  # one bad row: reported, the rest imported
    assert out.splitlines()[0] == (
        "scienceqa: 3 rows imported (3 new instructions, 3 new images), "
        "0 already imported, 3 skipped, 1 errors"
    )
    assert "  skipped 1: no image: a text-only problem" in out
    assert f"error: {data}: problem 7: answer index 7 is out of range" in err
    assert "rerun the same command" in err
    code, out, _ = _invoke(str(data), "--format", "scienceqa", "-p", str(project), "--json")
    report = json.loads(out)
    assert (report["imported"], report["already_done"], report["error_count"]) == (0, 6, 1)
    assert report["skipped_count"] == 0
    with open_store(project) as store:
        assert store.count_instructions("import:scienceqa") == 3


def test_generic_import_with_a_mapping_file(tmp_path: Path) -> None:
    project = new_project(tmp_path / "project")
    save_picture(tmp_path / "a.png", 3)
    data = tmp_path / "qa.csv"
    data.write_text('file,ask,opts,gold\na.png,Which digit?,"[""1"",""2"",""3"",""4""]",3\n')
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {image: file, question: ask, choices: opts, answer: gold}\n")
    args = [str(data), "--mapping", str(mapping), "--domain", "OCR", "-p", str(project)]
    code, out, err = _invoke(*args)
    assert code == 0, out + err
    assert out.startswith("generic: 1 rows imported (1 new instructions, 1 new images)")
    with open_store(project) as store:
        (only,) = store.instructions_of("import:generic")
    assert (only.kind, only.answer, only.domain) == ("multiple_choice", "C", "ocr")


def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    project = new_project(tmp_path / "project")
    data = tmp_path / "qa.jsonl"
    data.write_text('{"image": "a.png", "question": "q", "answer": "a"}\n')
    code, _, err = _invoke(str(data), "-p", str(project))
    assert code == 2
    assert err.startswith(f"error: {data}: no domain for these rows")
    bad = tmp_path / "bad.yaml"
    bad.write_text("colums: {}\n")
    code, _, err = _invoke(str(data), "--mapping", str(bad), "-p", str(project))
    assert (code, err.strip()) == (2, f"error: {bad}: colums: unknown key (check the spelling)")
    code, _, err = _invoke(str(data), "-p", str(tmp_path / "nowhere"), "--domain", "ocr")
    assert code == 2
    assert "no such config file" in err

"""``visinstruct seeds``: list, show, validate, import (invoked on the group directly)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from seeds.seedfiles import domain_data, write_domain
from visinstruct.cli.seeds import seeds_group
from visinstruct.records import KINDS, LANGUAGES
from visinstruct.seeds import validate_shipped_bank


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    write_domain(folder / "seeds", domain_data("my_domain"))
    return folder


def test_list_json_includes_project_domains(project: Path) -> None:
    result = CliRunner().invoke(seeds_group, ["list", "--json", "--project", str(project)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kinds"] == list(KINDS)
    assert data["languages"] == list(LANGUAGES)
    mine = next(d for d in data["domains"] if d["domain"] == "my_domain")
    assert mine["title"] == "My domain"
    assert mine["counts"] == {k: {"en": 3, "zh": 3} for k in KINDS}


def test_list_table(project: Path) -> None:
    result = CliRunner().invoke(seeds_group, ["list", "-p", str(project)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("my_domain"))
    assert row.split()[1:] == ["3/3"] * 4


def test_show_prints_description_and_every_seed(project: Path) -> None:
    result = CliRunner().invoke(seeds_group, ["show", "my_domain", "-p", str(project)])
    assert result.exit_code == 0, result.output
    assert "Test domain." in result.output
    assert "这张照片整体是否<清晰／模糊>？" in result.output
    for kind in KINDS:
        assert kind in result.output


def test_show_unknown_domain_fails_with_hint(project: Path) -> None:
    result = CliRunner().invoke(seeds_group, ["show", "nowhere", "-p", str(project)])
    assert result.exit_code == 2
    assert "seeds/nowhere.yaml" in result.output


def test_validate_reports_problems_and_exits_1(tmp_path: Path) -> None:
    data = domain_data("posters")
    data["seeds"]["judgement"]["zh"][1] = "天空是否<占据了画面的一半以上？"  # type: ignore[index]
    path = write_domain(tmp_path, data)
    result = CliRunner().invoke(seeds_group, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{path}: seeds.judgement.zh[1]: " in result.output


def test_validate_ok_line(tmp_path: Path) -> None:
    write_domain(tmp_path, domain_data())
    result = CliRunner().invoke(seeds_group, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "OK: 1 file, 24 seed questions, no problems"


def test_validate_default_is_the_shipped_bank() -> None:
    result = CliRunner().invoke(seeds_group, ["validate"])
    report = validate_shipped_bank()
    assert result.exit_code == (0 if report.ok else 1)
    files = len(report.files)
    if report.ok:
        assert result.output.startswith(f"OK: {files} file")
    else:
        assert str(report.problems[0]) in result.output


def test_import_reports_empty_files_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "all_seed"
    source.mkdir()
    section = {
        "Chinese": ["图像是否包含<特定文本>？"],
        "English": ["Does it contain <specific text>?"],
    }
    body = {"judge": section, "choice": section, "sentence": section}
    (source / "00009_ocr.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    (source / "00007_attribute_recognition.json").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(seeds_group, ["import", str(source)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "seeds" / "ocr.yaml").is_file()
    assert "imported" in result.output
    assert "00007_attribute_recognition.json: empty file (0 bytes)" in result.output
    assert "1 imported, 1 skipped" in result.output

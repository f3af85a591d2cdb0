"""A crash mid-import resumes per row: finished rows are kept, none is stored twice."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from expand.imports.datasets import open_store, scienceqa
from visinstruct.expand.imports import import_dataset
from visinstruct.records import Record


class Crash(Exception):
    pass


def test_a_crash_mid_import_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    data = scienceqa(tmp_path / "scienceqa")
    store = open_store(project)
    real = store.complete_unit
    committed: list[str] = []

    def crash_on_third(
        stage: str, unit_key: str, config_hash: str, results: Sequence[Record]
    ) -> None:
        if len(committed) == 2:
            raise Crash("power cut")
        real(stage, unit_key, config_hash, results)
        committed.append(unit_key)

    monkeypatch.setattr(store, "complete_unit", crash_on_third)
    with pytest.raises(Crash):
        import_dataset(store, project, data, "scienceqa")
    store.close()

    reopened = open_store(project)  # a new process after the crash
    done_before = reopened.count_instructions("import:scienceqa")
    report = import_dataset(reopened, project, data, "scienceqa")
    assert report.already_done == 2
    assert done_before + report.instructions_added == 3
    assert reopened.count_instructions("import:scienceqa") == 3
    units = reopened.unit_states("import", "import:scienceqa")
    assert all(units[key][0] == "done" for key in committed)
    statuses = sorted(status for status, _ in units.values())
    assert statuses == ["done"] * 6 + ["failed"]  # 3 imported + 3 skipped, 1 bad row

"""A crash mid-import resumes per slice: committed slices are kept, none is stored twice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from expand.imports.datasets import open_store, save_picture, scienceqa
from visinstruct.expand.imports import _run, import_dataset
from visinstruct.store import Store


class Crash(Exception):
    pass


def crash_after(store: Store, slices: int, committed: list[list[Any]]) -> Any:
    """``store.write_batch`` that commits ``slices`` slices, then fails like a power cut."""
    real = store.write_batch

    def write_batch(writes: Sequence[Any], calls: Sequence[Any], *args: Any) -> int:
        if len(committed) == slices:
            raise Crash("power cut")
        committed.append(list(writes))
        return real(writes, calls, *args)

    return write_batch


def test_a_crash_mid_import_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    data = scienceqa(tmp_path / "scienceqa")
    store = open_store(project)
    monkeypatch.setattr(_run, "SLICE_ROWS", 2)
    committed: list[list[Any]] = []
    monkeypatch.setattr(store, "write_batch", crash_after(store, 1, committed))
    with pytest.raises(Crash):
        import_dataset(store, project, data, "scienceqa")
    store.close()

    reopened = open_store(project)  # a new process after the crash
    done_before = reopened.count_instructions("import:scienceqa")
    report = import_dataset(reopened, project, data, "scienceqa")
    first = [w for w in committed[0] if w.error is None]
    assert report.already_done == len(first) == 2
    assert done_before + report.instructions_added == 3
    assert reopened.count_instructions("import:scienceqa") == 3
    units = reopened.unit_states("import", "import:scienceqa")
    assert all(units[w.unit_key][0] == "done" for w in first)
    statuses = sorted(status for status, _ in units.values())
    assert statuses == ["done"] * 6 + ["failed"]  # 3 imported + 3 skipped, 1 bad row


def test_an_import_commits_in_slices_and_a_rerun_finishes_without_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    images = [save_picture(tmp_path / "data" / f"p{i}.png", i) for i in range(3)]
    rows = _run.SLICE_ROWS * 2 + 10
    data = tmp_path / "data" / "qa.jsonl"
    with data.open("w", encoding="utf-8") as out:
        for i in range(rows):
            line = {"image": images[i % 3].name, "question": f"Is this picture {i} round?",
                    "answer": "yes" if i % 2 else "no"}  # fmt: skip
            out.write(json.dumps(line) + "\n")
    store = open_store(project)
    committed: list[list[Any]] = []
    monkeypatch.setattr(store, "write_batch", crash_after(store, 1, committed))
    with pytest.raises(Crash):
        import_dataset(store, project, data, domain="posters")
    store.close()
    assert [len(c) for c in committed] == [_run.SLICE_ROWS]  # one transaction per slice

    reopened = open_store(project)
    assert reopened.count_instructions("import:generic") == _run.SLICE_ROWS
    report = import_dataset(reopened, project, data, domain="posters")
    assert report.already_done == _run.SLICE_ROWS
    assert report.imported == rows - _run.SLICE_ROWS
    assert report.instructions_added == rows - _run.SLICE_ROWS
    assert reopened.count_instructions("import:generic") == rows
    again = import_dataset(reopened, project, data, domain="posters")
    assert (again.already_done, again.imported, again.instructions_added) == (rows, 0, 0)

"""A database written by the previous schema (0001–0006, made by the last release on the demo
project, then verified and reviewed) is brought forward with its data."""

from __future__ import annotations

import shutil
from pathlib import Path

from visinstruct.project import Project

DATA = Path(__file__).parent / "data"


def _old_project(tmp_path: Path) -> Path:
    root = tmp_path / "old"
    root.mkdir()
    shutil.copy(DATA / "schema_0006_demo.sqlite", root / "visinstruct.db")
    shutil.copy(DATA / "schema_0006_demo.yaml", root / "visinstruct.yaml")
    return root


def test_an_old_database_is_migrated_with_its_data(tmp_path: Path) -> None:
    root = _old_project(tmp_path)
    with Project.open(root) as project:
        store = project.store
        assert "0007_lineage" in store.migrations()
        assert store.count_instructions() == 213
        # every instruction of the last generation is in the live dataset, as before
        assert project.status()["instructions"] == 213
        # this release's validator settings are new generate settings: the old generation is
        # stale but stays the dataset until a run under the new ones completes
        stale = project.status()["stale"]
        assert set(stale) == {"generate", "pending"}
        assert stale["generate"]["image_languages"] == 24
        assert project.status()["stages"]["caption"]["done"] == 12
        items = list(store.instructions(project.scope()))
        edited = [i for i in items if i.review_status == "edited"]
        assert len(edited) == 1 and edited[0].answer.endswith("(edited)")
        assert sum(i.review_status == "rejected" for i in items) == 1
        assert sum(1 for i in items if i.checks) == 213  # the verdicts are kept
        assert len(store.review_events()) == 2
        # and the new machinery works on the old rows
        assert project.pin("before-upgrade") == 213
        revision = store.revise(edited[0].id, author="reviewer:alice", action="accept",
                                changes={"review_status": "accepted"})  # fmt: skip
        assert store.instruction(edited[0].id).revision == revision  # type: ignore[union-attr]

"""Records keep their lineage: a rerun under new settings writes rows of its own, editing a
setting never empties the dataset, switching transport repays nothing, content is written
once with revisions beside it, and a pinned dataset exports again byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visinstruct.config import CONFIG_FILENAME, load_config, write_config
from visinstruct.demo import run_demo
from visinstruct.errors import InputError, StaleRevisionError, StoreError
from visinstruct.generate import GenerateStage
from visinstruct.project import Project
from visinstruct.records import ImageRecord, Instruction, Provenance
from visinstruct.store import DatasetScope, Head, Store


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The offline demo project, run once (template generator, annotations captioner)."""
    return run_demo(tmp_path / "demo").project


def _edit_config(root: Path, **changes: dict[str, object]) -> None:
    config = load_config(root / CONFIG_FILENAME)
    for section, values in changes.items():
        for key, value in values.items():
            setattr(getattr(config, section), key, value)
    write_config(config, root / CONFIG_FILENAME)


def _llava_records(root: Path) -> int:
    return len(json.loads((root / "exports" / "llava.json").read_text(encoding="utf-8")))


def test_a_rerun_under_new_settings_keeps_its_own_rows_and_the_old_ones(demo: Path) -> None:
    with Project.open(demo) as project:
        before = project.status()["instructions"]
        exported = _llava_records(demo)
        stored = project.store.count_instructions()
    assert before > 100
    _edit_config(demo, generate={"temperature": 0.9})  # the template texts come out the same
    with Project.open(demo) as project:
        summary = project.generate()
        units = 2 * project.store.count_images()  # one per image and language
        assert (summary.done, summary.failed, summary.duplicates) == (units, 0, 0)
        assert project.status()["instructions"] == before  # the new settings' full count
        project.export()
        new_hash = GenerateStage.hash_of(project.config)
        assert sum(1 for _ in project.store.instructions_of(new_hash)) == before
        assert project.store.count_instructions() == 2 * stored  # the old rows are kept
    assert _llava_records(demo) == exported


def test_the_same_lineage_twice_is_skipped_and_counted(tmp_path: Path) -> None:
    with Store(tmp_path / "db") as store:
        image = ImageRecord(id="img", path="/x.png", domain="d", width=1, height=1,
                            format="PNG", bytes=1, phash="0")  # fmt: skip
        store.record_image(image, 1, 0.0)
        prov = Provenance(model="m", prompt_version="v", config_hash="g", caption_id="c")
        item = Instruction(
            id=Instruction.make_id("img", "short_vqa", "en", "Q?", [], "A", caption_id="c",
                                   config_hash="g"),
            image_id="img", domain="d", kind="short_vqa", language="en", question="Q?",
            answer="A", provenance=prov,
        )  # fmt: skip
        assert store.complete_unit("generate", "c:en", "g", [item], Head("img", "en", "c")) == 0
        assert store.complete_unit("generate", "c:en", "g", [item], Head("img", "en", "c")) == 1
        assert store.count_instructions() == 1


def test_editing_a_setting_without_rerunning_keeps_the_dataset_and_says_what_is_stale(
    demo: Path,
) -> None:
    with Project.open(demo) as project:
        before = project.status()["instructions"]
        stats_before = project.stats()["instructions"]
    _edit_config(demo, caption={"max_tokens": 333}, generate={"temperature": 0.3})
    with Project.open(demo) as project:
        status = project.status()
        assert status["instructions"] == before
        assert project.stats()["instructions"] == stats_before
        (report,) = project.export("llava")
        assert report.records == stats_before
        stale = status["stale"]
        images = project.store.count_images()
        assert stale["caption"]["image_languages"] == 2 * images
        assert stale["generate"]["image_languages"] == 2 * images
        assert stale["pending"] == {"caption": images}
        assert "visinstruct caption" in stale["caption"]["note"]


def test_reordering_and_review_are_revisions_beside_the_generated_row(demo: Path) -> None:
    with Project.open(demo) as project:
        store = project.store
        mc = next(i for i in store.instructions(project.scope()) if i.kind == "multiple_choice")
        generated = store.revisions(mc.id)[0]
        choices = [*mc.choices[1:], mc.choices[0]]
        first = store.revise(
            mc.id, author="check:mc_balance", action="reorder",
            changes={"choices": choices, "answer": "D"}, expected=mc.revision,
        )  # fmt: skip
        moved = store.instruction(mc.id)
        assert moved is not None
        assert (moved.choices, moved.answer, moved.revision, moved.id) == (
            choices, "D", first, mc.id,
        )  # fmt: skip
        with pytest.raises(StaleRevisionError):  # made on the revision before the reorder
            store.revise(mc.id, author="reviewer:bo", action="accept",
                         changes={"review_status": "accepted"}, expected=mc.revision)  # fmt: skip
        history = store.revisions(mc.id)
        assert [h["revision"] for h in history] == [0, first]
        assert history[0] == generated  # the generated content is still there, unchanged
        assert (history[0]["choices"], history[0]["answer"]) == (mc.choices, mc.answer)


def test_a_pinned_version_exports_again_byte_for_byte(demo: Path, tmp_path: Path) -> None:
    with Project.open(demo) as project:
        size = project.pin("v1")
        assert size == project.status()["instructions"]
        first = tmp_path / "first"
        project.export(["llava", "sharegpt"], first, version="v1")
        item = next(iter(project.store.instructions(project.scope())))
        project.store.revise(item.id, author="reviewer:bo", action="reject",
                             changes={"review_status": "rejected"}, reason="x")  # fmt: skip
        with pytest.raises(StoreError, match="already exists"):
            project.pin("v1")
        with pytest.raises(InputError, match="no dataset version named 'v2'"):
            project.export("llava", tmp_path / "x", version="v2")
    _edit_config(demo, generate={"temperature": 0.5})
    with Project.open(demo) as project:
        project.generate()
        again = tmp_path / "again"
        project.export(["llava", "sharegpt"], again, version="v1")
        live = tmp_path / "live"
        project.export("llava", live)
    for name in ("llava.json", "sharegpt.json"):
        assert (first / name).read_bytes() == (again / name).read_bytes()
    assert (live / "llava.json").read_bytes() != (first / "llava.json").read_bytes()


def test_the_live_scope_is_the_latest_completed_generation_per_image(tmp_path: Path) -> None:
    with Store(tmp_path / "db") as store:
        image = ImageRecord(id="img", path="/x.png", domain="d", width=1, height=1,
                            format="PNG", bytes=1, phash="0")  # fmt: skip
        store.record_image(image, 1, 0.0)

        def item(config: str, kind: str) -> Instruction:
            prov = Provenance(model="m", prompt_version="v", config_hash=config, caption_id="c")
            return Instruction(
                id=Instruction.make_id("img", kind, "en", "Q?", [], "A", caption_id="c",
                                       config_hash=config),
                image_id="img", domain="d", kind=kind, language="en", question="Q?",
                answer="A", provenance=prov,
            )  # fmt: skip

        live = DatasetScope(include_imports=False)
        store.complete_unit("generate", "c:en", "old", [item("old", "short_vqa")],
                            Head("img", "en", "c"))  # fmt: skip
        # a per-kind run half done: the dataset keeps the old generation until it completes
        siblings = ("c:en:short_vqa", "c:en:long_vqa")
        store.complete_unit("generate", siblings[0], "new", [item("new", "short_vqa")],
                            Head("img", "en", "c", siblings))  # fmt: skip
        assert [i.provenance.config_hash for i in store.instructions(live)] == ["old"]
        store.complete_unit("generate", siblings[1], "new", [item("new", "long_vqa")],
                            Head("img", "en", "c", siblings))  # fmt: skip
        assert sorted(i.kind for i in store.instructions(live)) == ["long_vqa", "short_vqa"]
        assert {i.provenance.config_hash for i in store.instructions(live)} == {"new"}


def test_verdict_changes_are_kept_beside_the_instruction(demo: Path) -> None:
    with Project.open(demo) as project:
        project.verify()
        item = next(iter(project.store.instructions(project.scope())))
        first = project.store.check_history(item.id)
        assert first and {h["name"] for h in first} == set(item.checks)
        project.verify()  # the same verdicts again: nothing new in the history
        assert project.store.check_history(item.id) == first
        name = first[0]["name"]
        project.store.remove_checks(item.id, [name])
        last = project.store.check_history(item.id)[-1]
        assert (last["name"], last["reason"], last["passed"]) == (name, "removed", None)

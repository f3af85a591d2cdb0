"""The three public formats (ScienceQA, FigureQA/DVQA, TabMWP), from samples in their layouts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from expand.imports.datasets import dvqa, figureqa, open_store, scienceqa, tabmwp
from visinstruct.errors import InputError
from visinstruct.expand.imports import ImportReport, import_dataset
from visinstruct.records import Instruction
from visinstruct.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    (tmp_path / "project").mkdir()
    return open_store(tmp_path / "project")


def _by_question(store: Store, fmt: str) -> dict[str, Instruction]:
    return {i.question.splitlines()[-1]: i for i in store.instructions_of(f"import:{fmt}")}


def test_scienceqa_kinds_context_and_honest_skips(tmp_path: Path, store: Store) -> None:
    data = scienceqa(tmp_path / "scienceqa")
    report = import_dataset(store, tmp_path / "project", data.parent, "scienceqa")
    assert (report.rows, report.imported, report.instructions_added) == (7, 3, 3)
    assert report.skipped == {
        "no image: a text-only problem": 1,
        "3 options: multiple choice needs exactly 4 and a judgement a yes/no pair": 1,
        "2 options: multiple choice needs exactly 4 and a judgement a yes/no pair": 1,
    }
    assert report.error_count == 1
    assert report.errors[0].startswith(f"{data}: problem 7: answer index 7 is out of range")
    got = _by_question(store, "scienceqa")
    north = got["Which of these states is farthest north?"]
    assert (north.kind, north.answer, north.language) == ("multiple_choice", "A", "en")
    assert north.choices == ["West Virginia", "Louisiana", "Arizona", "Oklahoma"]
    assert north.question == "Which of these states is farthest north?"
    digging = got["Which animal's feet are also adapted for digging?"]
    assert digging.question.startswith("Context: Moles live underground.\n")
    assert digging.answer == "C"
    magnet = got["Does this magnet attract the other one?"]
    assert (magnet.kind, magnet.answer, magnet.choices) == ("judgement", "No", [])
    assert {i.domain for i in got.values()} == {"commonsense_reasoning"}
    assert {i.provenance.model for i in got.values()} == {"import:scienceqa"}
    image = store.image(north.image_id)
    assert Path(image.path) == (data.parent / "train" / "1" / "image.png").resolve()
    assert image.source == "import:scienceqa"
    assert image.prior["subject"] == "social science"
    # the skip reasons are kept in the store with the row they belong to
    rejects = store.item_rejects("import", "import:scienceqa")
    assert sorted(r["unit_key"].rsplit("#", 1)[1] for r in rejects) == ["3", "5", "6"]


def test_scienceqa_split_and_domain_override(tmp_path: Path, store: Store) -> None:
    data = scienceqa(tmp_path / "scienceqa")
    report = import_dataset(
        store, tmp_path / "project", data, "scienceqa", split="train", domain="Complex Reasoning"
    )
    assert (report.rows, report.other_split, report.imported) == (5, 2, 2)
    domains = {i.domain for i in store.instructions_of("import:scienceqa")}
    assert domains == {"complex_reasoning"}


def test_figureqa_pairs_become_yes_no_judgements(tmp_path: Path, store: Store) -> None:
    data = figureqa(tmp_path / "figureqa" / "train1")
    report = import_dataset(store, tmp_path / "project", data.parent, "figureqa")
    assert (report.imported, report.images_added, report.error_count) == (3, 2, 1)
    assert report.errors == [
        f"{data}: qa_pairs[3]: field 'answer' must be 0 (no) or 1 (yes), got 'maybe'"
    ]
    got = _by_question(store, "figureqa")
    assert {q: (i.kind, i.answer) for q, i in got.items()} == {
        "Is Dark Violet the minimum?": ("judgement", "Yes"),
        "Is Lime Green greater than Red?": ("judgement", "No"),
        "Does Navy Blue have the lowest value?": ("judgement", "Yes"),
    }
    first, second = got["Is Dark Violet the minimum?"], got["Is Lime Green greater than Red?"]
    assert first.image_id == second.image_id  # one chart, several questions, one image record
    assert first.domain == "structuralized_image_text_understanding"


def test_figureqa_has_no_split_field(tmp_path: Path, store: Store) -> None:
    data = figureqa(tmp_path / "figureqa")
    with pytest.raises(InputError, match="no split field"):
        import_dataset(store, tmp_path / "project", data, "figureqa", split="train")


def test_dvqa_short_answers_and_yes_no(tmp_path: Path, store: Store) -> None:
    data = dvqa(tmp_path / "dvqa")
    report = import_dataset(store, tmp_path / "project", data, "dvqa")
    assert (report.imported, report.error_count) == (3, 1)
    assert report.errors[0].startswith(f"{data}: item 3 (question_id 13): image not found")
    assert "bar_train_00000009.png" in report.errors[0]
    got = _by_question(store, "dvqa")
    assert {q: (i.kind, i.answer) for q, i in got.items()} == {
        "Which bar has the largest value?": ("short_vqa", "brass"),
        "Is the value of brass larger than 6?": ("judgement", "Yes"),
        "How many bars are there?": ("short_vqa", "4"),
    }


def test_tabmwp_units_options_and_kinds(tmp_path: Path, store: Store) -> None:
    data = tabmwp(tmp_path / "tabmwp")
    report = import_dataset(store, tmp_path / "project", data, "tabmwp")
    assert (report.imported, report.error_count) == (3, 1)
    assert report.errors[0].startswith(f"{data}: problem 14: answer 'five' names none")
    got = {i.question.splitlines()[0]: i for i in store.instructions_of("import:tabmwp")}
    flour = got["How many cups of flour does Ann need in all?"]
    assert (flour.kind, flour.answer) == ("short_vqa", "12 cups")
    visitors = got["Which day had the most visitors?"]
    assert (visitors.kind, visitors.answer) == ("multiple_choice", "B")
    shortage = got["At a price of $5, is there a shortage or a surplus?"]
    assert shortage.kind == "short_vqa"
    assert shortage.question.endswith("\nOptions: shortage; surplus")
    assert (shortage.answer, shortage.choices) == ("surplus", [])
    assert {i.domain for i in got.values()} == {"numerical_calculation"}
    assert store.image(flour.image_id).prior["table_title"] == "Flour"


@pytest.mark.parametrize(
    ("fmt", "write"),
    [("scienceqa", scienceqa), ("figureqa", figureqa), ("dvqa", dvqa), ("tabmwp", tabmwp)],
)
def test_rerunning_an_import_adds_nothing(
    tmp_path: Path, store: Store, fmt: str, write: Callable[[Path], Path]
) -> None:
    data = write(tmp_path / fmt)
    first = import_dataset(store, tmp_path / "project", data, fmt)
    ids = sorted(i.id for i in store.instructions_of(f"import:{fmt}"))
    images = store.count_images()
    second = import_dataset(store, tmp_path / "project", data, fmt)
    assert sorted(i.id for i in store.instructions_of(f"import:{fmt}")) == ids
    assert store.count_images() == images
    assert (second.imported, second.instructions_added, second.images_added) == (0, 0, 0)
    assert second.already_done == first.imported + first.skipped_count
    assert second.error_count == first.error_count  # failed rows are tried again, fail again


def _report_line(report: ImportReport) -> tuple[int, int, int]:
    return report.imported, report.skipped_count, report.error_count


def test_a_fixed_bad_row_imports_on_rerun(tmp_path: Path, store: Store) -> None:
    data = tabmwp(tmp_path / "tabmwp")
    assert _report_line(import_dataset(store, tmp_path / "project", data, "tabmwp")) == (3, 0, 1)
    failed = store.failures("import", "import:tabmwp")
    assert [f["unit_key"] for f in failed] == [f"tabmwp:{data.resolve()}#14"]
    assert "problem 14" in failed[0]["last_error"]
    assert '"answer": "five"' in failed[0]["raw"]
    data.write_text(data.read_text().replace('"five"', '"odd"'))
    again = import_dataset(store, tmp_path / "project", data, "tabmwp")
    assert (_report_line(again), again.already_done) == ((1, 0, 0), 3)
    assert store.count_instructions("import:tabmwp") == 4
    assert store.failures("import", "import:tabmwp") == []

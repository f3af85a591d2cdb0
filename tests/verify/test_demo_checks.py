"""The local checks on the offline demo's own data: its Chinese long answers (一张, 十分, 5:30,
names kept in Latin letters) are good Chinese and must not be flagged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from verify.planted_classes import failed_checks
from visinstruct.demo import run_demo
from visinstruct.project import Project
from visinstruct.records import Instruction


@pytest.fixture(scope="module")
def demo_items(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Instruction]]:
    report = run_demo(tmp_path_factory.mktemp("demo") / "project")
    with Project.open(report.project) as project:
        assert project.config.models.verifier is None  # so verify runs the local checks only
        project.verify()
        yield list(project.store.instructions(project.scope()))


def test_no_chinese_long_answer_of_the_demo_is_flagged(demo_items: list[Instruction]) -> None:
    long_zh = [i for i in demo_items if i.language == "zh" and i.kind == "long_vqa"]
    assert len(long_zh) >= 12
    assert all("grounding" in i.checks or "language" in i.checks for i in long_zh)
    flagged = {i.answer[:40]: failed_checks(i) for i in long_zh if failed_checks(i)}
    assert flagged == {}


def test_demo_chinese_keeps_its_numbers_times_and_names(demo_items: list[Instruction]) -> None:
    """What used to be refused: 一张 and 十分 read as numbers, chart labels as "not Chinese"."""
    zh = [i for i in demo_items if i.language == "zh"]
    assert any("一张" in i.answer for i in zh)
    wrong = [
        (i.question, i.answer, i.choices, failed_checks(i))
        for i in zh
        if {"grounding", "language"} & set(failed_checks(i))
    ]
    assert wrong == []

"""Verification without a model on the per-class planted set (tests/verify/planted_classes.py):
recall per defect class and false flags, English and Chinese apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from verify.planted_classes import CHECK_OF, CLASSES, build, failed_checks, score, table
from visinstruct.generate import GenerateStage


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    planted = build(tmp_path_factory.mktemp("planted_classes"))
    report = planted.project.verify()
    yield planted, report, score(planted)
    planted.project.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_recall_per_class_and_false_flags(planted: Any, language: str) -> None:
    _, _, result = planted
    print(table(result))
    counts = result["counts"][language]
    assert all(counts[k] >= 10 for k in CLASSES), counts
    assert counts["clean"] >= 100
    recall = result["recall"][language]
    assert all(recall[k] >= 0.9 for k in CLASSES), (recall, result["missed"])
    assert result["false_flags"][language] <= 0.05, result["false"]


def test_each_class_is_caught_by_the_check_meant_for_it(planted: Any) -> None:
    p, _, _ = planted
    items = p.project.store.instructions_of(GenerateStage.hash_of(p.project.config))
    by_own: dict[tuple[str, str], list[bool]] = {}
    for ins in items:
        category = p.category[ins.id]
        if category != "clean":
            own = CHECK_OF[category] in failed_checks(ins)
            by_own.setdefault((p.language[ins.id], category), []).append(own)
    for key, hits in by_own.items():
        assert sum(hits) / len(hits) >= 0.9, key


def test_contradictions_flag_both_answers_and_name_each_other(planted: Any) -> None:
    p, _, _ = planted
    items = {
        i.id: i for i in p.project.store.instructions_of(GenerateStage.hash_of(p.project.config))
    }
    for planted_id, partner_id in p.partner.items():
        record = items[planted_id].checks["contradiction"]
        assert record["passed"] is False
        other = items[record["contradicts"]]  # the partner, or a copy of it on the image
        assert other.image_id == items[planted_id].image_id
        assert other.checks["contradiction"]["passed"] is False
        assert items[partner_id].checks["contradiction"]["passed"] is False


def test_every_check_reports_its_precision(planted: Any) -> None:
    _, report, result = planted
    for name in ("judgement_form", "grounding", "option_overlap", "language", "duplicate",
                 "contradiction"):  # fmt: skip
        precision, flagged = result["precision"][name]
        assert flagged >= 20 and precision >= 0.9, (name, precision)
        assert report["checks"][name]["flagged"] == flagged

"""The sampling plan (every flagged item + a seeded stratified sample) and the error rate it
estimates."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from review.reviewkit import build_project
from visinstruct.project import Project
from visinstruct.review import ReviewService, add_reviewer, build_sample_plan, estimate_error
from visinstruct.review.auth import identify
from visinstruct.store.sqlite import ReviewFilter


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    folder = build_project(tmp_path, {"landmark": 12, "ocr": 9}, script_image=False)
    with Project.open(folder) as p:
        yield p


def _plan(project: Project) -> dict[str, tuple[str, str, int]]:
    """instruction id → (reason, stratum, stratum size)."""
    return {i: (reason, s, n) for i, s, reason, n, _ in project.store.review_sample_outcomes()}


def test_plan_takes_every_flagged_item_and_a_seeded_stratified_sample(project: Project) -> None:
    strata = project.store.review_strata()
    flagged = {i for i, _, is_flagged in strata if is_flagged}
    assert len(flagged) == 7  # the multiple-choice item of every third image failed a check
    made = build_sample_plan(project.store, rate=0.2, seed=7)
    plan = _plan(project)
    assert {i for i, (reason, _, _) in plan.items() if reason == "flagged"} == flagged
    sizes = Counter(s for i, s, is_flagged in strata if not is_flagged)
    per_stratum = Counter(s for reason, s, _ in plan.values() if reason == "sample")
    assert per_stratum == {s: math.ceil(0.2 * n) for s, n in sizes.items()}
    assert (made.flagged, made.sampled, made.strata) == (7, sum(per_stratum.values()), 10)
    assert all(n == sizes[s] for reason, s, n in plan.values() if reason == "sample")

    build_sample_plan(project.store, rate=0.2, seed=7)
    assert _plan(project) == plan  # same seed, same plan
    build_sample_plan(project.store, rate=0.2, seed=8)
    assert _plan(project) != plan
    assert project.store.review_queue_size(ReviewFilter(plan="flagged"))[1] == 7
    assert project.store.review_queue_size(ReviewFilter(plan="plan"))[1] == len(plan)


def test_error_rate_is_estimated_from_the_reviewed_sample(project: Project) -> None:
    assert estimate_error(project.store).rate is None
    build_sample_plan(project.store, rate=0.5, seed=1)
    service = ReviewService(project.store, project.config)
    ann = identify(project.store, add_reviewer(project.store, "ann"))
    assert ann is not None
    by_stratum: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for i, (reason, stratum, size) in sorted(_plan(project).items()):
        if reason == "sample":
            by_stratum[stratum].append((i, size))
        else:
            service.apply(ann, i, "reject", reason="flagged and wrong")  # never counted
    expected, total = 0.0, sum(items[0][1] for items in by_stratum.values())
    for n, (_stratum, items) in enumerate(sorted(by_stratum.items())):
        # one rejected item in each of the first four strata; the rest are fine
        for k, (i, _) in enumerate(items):
            bad = k == 0 and n < 4
            service.apply(ann, i, "reject" if bad else "accept", reason="wrong" if bad else None)
        expected += items[0][1] / total * (1 / len(items) if n < 4 else 0)
    estimate = estimate_error(project.store)
    sampled = sum(len(v) for v in by_stratum.values())
    assert (estimate.sampled, estimate.reviewed, estimate.errors) == (sampled, sampled, 4)
    assert estimate.population == total
    assert estimate.rate == pytest.approx(expected)
    assert estimate.low is not None and estimate.high is not None
    assert 0 <= estimate.low < expected < estimate.high <= 1


def test_an_all_clean_sample_still_has_an_upper_bound(project: Project) -> None:
    build_sample_plan(project.store, rate=0.3, seed=1)
    service = ReviewService(project.store, project.config)
    ann = identify(project.store, add_reviewer(project.store, "ann"))
    assert ann is not None
    for i, (reason, _, _) in _plan(project).items():
        if reason == "sample":
            service.apply(ann, i, "accept")
    estimate = estimate_error(project.store)
    assert estimate.rate == 0
    assert estimate.high is not None and 0 < estimate.high < 0.2


def test_the_streamed_plan_is_the_smallest_draw_keys_of_each_stratum(project: Project) -> None:
    from visinstruct.review.quality import _draw_key

    build_sample_plan(project.store, rate=0.3, seed=3)
    rest: dict[str, list[str]] = defaultdict(list)
    for i, stratum, is_flagged in project.store.review_strata():
        if not is_flagged:
            rest[stratum].append(i)
    expected = {
        i
        for ids in rest.values()
        for i in sorted(ids, key=lambda i: _draw_key(3, i))[: math.ceil(0.3 * len(ids))]
    }
    sampled = {i for i, (reason, _, _) in _plan(project).items() if reason == "sample"}
    assert sampled == expected

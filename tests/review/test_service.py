"""Review actions without the web layer: validation of edits, the audit trail, queue filters,
two reviewers on one item."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from review.reviewkit import build_project
from visinstruct.project import Project
from visinstruct.records import Instruction
from visinstruct.review import (
    Edit,
    ReviewProblem,
    ReviewService,
    UnknownInstruction,
    add_reviewer,
    agreement,
    identify,
)
from visinstruct.review.auth import Reviewer, hash_token
from visinstruct.store.sqlite import ReviewFilter


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.open(build_project(tmp_path, {"landmark": 3, "ocr": 3})) as p:
        yield p


def _one(project: Project, kind: str, language: str = "en") -> Instruction:
    for image in sorted(project.store.images(), key=lambda i: i.id):
        for ins in project.store.image_instructions(image.id):
            if ins.kind == kind and ins.language == language and "<" not in ins.question:
                return ins
    raise AssertionError(f"no {kind} instruction")


def _reviewer(project: Project, name: str = "ann", role: str = "reviewer") -> Reviewer:
    token = add_reviewer(project.store, name, role)  # type: ignore[arg-type]
    found = identify(project.store, token)
    assert found is not None
    return found


def test_tokens_are_stored_only_as_hashes(project: Project) -> None:
    token = add_reviewer(project.store, "ann", "admin")
    assert token.startswith("vir_") and len(token) > 40
    db = project.store.path
    project.store.close()
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert token.encode() not in raw
    assert hash_token(token).encode() in raw
    with Project.open(project.root) as again:
        who = identify(again.store, token)
        assert who is not None and who.name == "ann" and who.is_admin
        assert identify(again.store, token + "x") is None
        assert identify(again.store, "") is None


def test_edit_keeps_the_id_and_normalises_like_generation(project: Project) -> None:
    service = ReviewService(project.store, project.config)
    ann = _reviewer(project)
    mc = _one(project, "multiple_choice")
    after = service.apply(
        ann, mc.id, "edit", seconds=12.5,
        edit=Edit(question=mc.question, choices=("red", "blue", "green", "black"),
                  answer="d"),
    )  # fmt: skip
    assert after.id == mc.id
    assert (after.choices, after.answer, after.review_status) == (
        ["red", "blue", "green", "black"], "D", "edited",
    )  # fmt: skip
    stored = project.store.instruction(mc.id)
    assert stored == after
    (event,) = project.store.review_events()
    assert event["before"] == {"question": mc.question, "choices": mc.choices, "answer": "B",
                               "review_status": "unreviewed"}  # fmt: skip
    assert event["after"]["answer"] == "D" and event["seconds"] == 12.5

    zh = _one(project, "judgement", "zh")
    assert service.apply(ann, zh.id, "edit", edit=Edit(zh.question, "否。")).answer == "否"
    en = _one(project, "judgement")
    assert service.apply(ann, en.id, "edit", edit=Edit(en.question, "no")).answer == "No"


@pytest.mark.parametrize(
    ("choices", "answer", "code", "field"),
    [
        (("red", "blue", "red", "white"), "A", "mc_duplicate_options", "choices"),
        (("red", "blue", "green"), "A", "mc_option_count", "choices"),
        (("red", "blue", "", "white"), "A", "mc_empty_option", "choices"),
        (("red", "blue", "green", "white"), "E", "mc_answer_unmapped", "answer"),
    ],
)
def test_an_invalid_mc_edit_is_refused_and_changes_nothing(
    project: Project, choices: tuple[str, ...], answer: str, code: str, field: str
) -> None:
    service = ReviewService(project.store, project.config)
    ann = _reviewer(project)
    mc = _one(project, "multiple_choice")
    with pytest.raises(ReviewProblem) as caught:
        service.apply(ann, mc.id, "edit", edit=Edit(mc.question, answer, choices))
    assert (caught.value.code, caught.value.field) == (code, field)
    assert project.store.instruction(mc.id) == mc
    assert project.store.review_events() == []


def test_other_refusals(project: Project) -> None:
    service = ReviewService(project.store, project.config)
    ann = _reviewer(project)
    yes_no = _one(project, "judgement")
    with pytest.raises(ReviewProblem, match="not Yes or No"):
        service.apply(ann, yes_no.id, "edit", edit=Edit(yes_no.question, "Maybe"))
    with pytest.raises(ReviewProblem, match="say why"):
        service.apply(ann, yes_no.id, "reject", reason="  ")
    with pytest.raises(ReviewProblem, match="unknown action"):
        service.apply(ann, yes_no.id, "delete")
    with pytest.raises(UnknownInstruction):
        service.apply(ann, "0" * 32, "accept")
    assert project.store.review_events() == []


def test_unchanged_edit_is_an_accept_and_seconds_are_capped(project: Project) -> None:
    project.config.review.max_seconds_per_action = 60
    service = ReviewService(project.store, project.config)
    ann = _reviewer(project)
    short = _one(project, "short_vqa")
    after = service.apply(
        ann, short.id, "edit", edit=Edit(short.question, short.answer), seconds=4000
    )
    assert after.review_status == "accepted"
    (event,) = project.store.review_events()
    assert (event["action"], event["seconds"]) == ("accept", 60)
    service.apply(ann, short.id, "flag", seconds=float("nan"))
    assert project.store.review_events()[0]["seconds"] == 0


def test_two_reviewers_are_both_kept_and_agreement_is_reported(project: Project) -> None:
    service = ReviewService(project.store, project.config)
    ann, bob = _reviewer(project, "ann"), _reviewer(project, "bob")
    image = sorted(project.store.images(), key=lambda i: i.id)[0]
    items = project.store.image_instructions(image.id)[:4]
    for ins in items:
        service.apply(ann, ins.id, "accept")
    service.apply(bob, items[0].id, "accept")
    service.apply(bob, items[1].id, "reject", reason="wrong answer")
    service.apply(bob, items[2].id, "edit", edit=Edit(items[2].question + " ", items[2].answer))
    service.apply(bob, items[3].id, "flag")
    decisions = project.store.review_decisions([i.id for i in items])
    assert len(decisions) == 8
    assert {(r, s) for i, r, s in decisions if i == items[1].id} == {
        ("ann", "accepted"), ("bob", "rejected"),
    }  # fmt: skip
    a = agreement(project.store)
    assert (a.items, a.pairs) == (4, 4)
    assert a.exact == pytest.approx(2 / 4)  # item 0 accepted twice; item 2 unchanged "edit"
    assert a.keep_drop == pytest.approx(2 / 3)  # the flag pair is left out
    assert a.chance_corrected is not None and a.chance_corrected < a.keep_drop
    # the row shows the latest action
    assert project.store.instruction(items[1].id).review_status == "rejected"  # type: ignore[union-attr]


def test_queue_filters_and_pagination(project: Project) -> None:
    store = project.store
    assert store.review_queue_size(ReviewFilter()) == (6, 31)  # 5 each + one <script> item
    by_domain = [store.review_queue_size(ReviewFilter(domain=d)) for d in ("landmark", "ocr")]
    assert sorted(by_domain) == [(3, 15), (3, 16)]
    assert store.review_queue_size(ReviewFilter(kind="multiple_choice")) == (6, 6)
    assert store.review_queue_size(ReviewFilter(language="zh")) == (6, 6)
    assert store.review_queue_size(ReviewFilter(model="gen-b")) == (6, 6)
    assert store.review_queue_size(ReviewFilter(check="failed")) == (2, 2)  # images 0 and 3
    assert store.review_queue_size(ReviewFilter(check="grounding")) == (2, 2)
    assert store.review_queue_size(ReviewFilter(check="other")) == (0, 0)
    assert store.review_queue_size(ReviewFilter(status="accepted")) == (0, 0)
    page1 = store.review_queue(ReviewFilter(), 4, 0)
    page2 = store.review_queue(ReviewFilter(), 4, 4)
    ids = [r["image_id"] for r in page1 + page2]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert sum(r["failed"] for r in page1 + page2) == 2
    first, second = ids[0], ids[1]
    assert store.review_neighbour(first, ReviewFilter(), forward=True) == second
    assert store.review_neighbour(first, ReviewFilter(), forward=False) is None
    assert store.review_position(second, ReviewFilter()) == 1
    facets = store.review_facets()
    assert facets == {"domain": ["landmark", "ocr"], "model": ["gen-a", "gen-b"],
                      "check": ["grounding"]}  # fmt: skip

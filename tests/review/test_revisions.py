"""Review without lost work, over real HTTP: every save names the revision it was made on; a
stale one gets 409 with the newer version; a double press records one event; undo is a new
revision; the time an action took is the server's measure; a page loaded before a server
restart still saves after it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from review.reviewkit import build_project, serve
from visinstruct.project import Project
from visinstruct.review import add_reviewer
from visinstruct.store import Store


@contextmanager
def _reviewer(url: str, token: str, image_id: str) -> Iterator[tuple[httpx.Client, Any]]:
    """A logged-in client that has the image page open; yields it and the page's cards."""
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        assert client.post("/login", data={"token": token}).status_code == 303
        yield client, _page(client, image_id)


def _page(client: httpx.Client, image_id: str) -> dict[str, Any]:
    html = client.get(f"/image/{image_id}").text
    csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', html)
    cards = re.findall(r'data-id="(\w+)" data-kind="(\w+)"[^>]*data-revision="([^"]+)"', html)
    assert csrf is not None and cards
    return {
        "csrf": csrf.group(1),
        "cards": {kind: (i, rev) for i, kind, rev in reversed(cards)},
    }


def _save(client: httpx.Client, page: dict[str, Any], kind: str, **body: Any) -> httpx.Response:
    instruction_id, revision = page["cards"][kind]
    return client.post(
        f"/api/instructions/{instruction_id}",
        json={"revision": revision, **body},
        headers={"x-csrf-token": page["csrf"]},
    )


def _folder(tmp_path: Path) -> tuple[Path, str, str, str]:
    folder = build_project(tmp_path, {"landmark": 2}, script_image=False)
    with Project.open(folder) as project:
        ann = add_reviewer(project.store, "ann")
        bob = add_reviewer(project.store, "bob")
        image_id = sorted(i.id for i in project.store.images())[0]
    return folder, ann, bob, image_id


def test_two_reviewers_edit_one_item_the_second_gets_409_and_the_export_holds_the_first(
    tmp_path: Path,
) -> None:
    folder, ann, bob, image_id = _folder(tmp_path)
    with (
        serve(folder) as url,
        _reviewer(url, ann, image_id) as (a, a_page),
        _reviewer(url, bob, image_id) as (b, b_page),
    ):
        assert a_page["cards"]["short_vqa"] == b_page["cards"]["short_vqa"]  # same revision
        question = "What shape is on the left 3?"
        first = _save(a, a_page, "short_vqa", action="edit", question=question,
                      answer="a small square")  # fmt: skip
        assert first.status_code == 200 and first.json()["saved"] is True
        second = _save(b, b_page, "short_vqa", action="edit", question=question,
                       answer="a big square")  # fmt: skip
        assert second.status_code == 409
        newer = second.json()["instruction"]
        assert newer["answer"] == "a small square" and newer["status"] == "edited"
        assert newer["revision"] == first.json()["instruction"]["revision"]
        assert "changed" in second.json()["error"]
        # on the newer revision bob's decision is a decision again
        retry = b.post(
            f"/api/instructions/{newer['id']}",
            json={"action": "accept", "revision": newer["revision"]},
            headers={"x-csrf-token": b_page["csrf"]},
        )
        assert retry.status_code == 200
        page = b.get(f"/image/{image_id}").text  # the item shows its history
        assert "History (2 revisions)" in page
        assert "edit by reviewer:ann → edited" in page and "accept by reviewer:bob" in page
    with Project.open(folder) as project:
        events = project.store.review_events(instruction_id=newer["id"])
        history = project.store.revisions(newer["id"])
        assert [h["author"] for h in history] == ["generated", "reviewer:ann", "reviewer:bob"]
        assert history[0]["answer"] != "a small square"  # the generated content is kept
        reports = project.export(["llava"], tmp_path / "out")
    assert [(e["reviewer"], e["action"]) for e in reversed(events)] == [
        ("ann", "edit"), ("bob", "accept"),
    ]  # fmt: skip
    exported = "".join(r.path.read_text(encoding="utf-8") for r in reports)
    assert "a small square" in exported and "a big square" not in exported


def test_a_double_press_records_one_event_and_counts_the_time_once(tmp_path: Path) -> None:
    folder, ann, _, image_id = _folder(tmp_path)
    with serve(folder) as url, _reviewer(url, ann, image_id) as (a, page):
        time.sleep(0.3)
        first = _save(a, page, "long_vqa", action="accept", seconds_ignored=None)
        assert first.status_code == 400  # clients do not send times, or anything unknown
        first = _save(a, page, "long_vqa", action="accept")
        again = _save(a, page, "long_vqa", action="accept")  # same revision: the same press
        assert first.status_code == again.status_code == 200
        assert (first.json()["saved"], again.json()["saved"]) == (True, False)
        other = _save(a, page, "long_vqa", action="reject", reason="wrong")  # not a repeat
        assert other.status_code == 409
    with Store(folder / "visinstruct.db") as store:
        (event,) = store.review_events()
    assert event["action"] == "accept"
    assert 0.3 <= event["seconds"] < 30  # from the page view, measured by the server


def test_undo_is_a_new_revision_that_restores_the_one_before(tmp_path: Path) -> None:
    folder, ann, bob, image_id = _folder(tmp_path)
    with serve(folder) as url, _reviewer(url, ann, image_id) as (a, page):
        rejected = _save(a, page, "judgement", action="reject", reason="ambiguous question")
        assert rejected.status_code == 200
        after = rejected.json()["instruction"]
        page["cards"]["judgement"] = (after["id"], after["revision"])
        undone = _save(a, page, "judgement", action="undo")
        assert undone.status_code == 200 and undone.json()["instruction"]["status"] == "unreviewed"
        page["cards"]["judgement"] = (after["id"], undone.json()["instruction"]["revision"])
        twice = _save(a, page, "judgement", action="undo")
        assert twice.status_code == 422 and "nothing of yours to undo" in twice.json()["error"]
        with _reviewer(url, bob, image_id) as (b, b_page):  # bob cannot undo ann's action
            accepted = _save(a, page, "judgement", action="accept")
            b_page["cards"]["judgement"] = (after["id"], accepted.json()["instruction"]["revision"])
            assert _save(b, b_page, "judgement", action="undo").status_code == 422
    with Store(folder / "visinstruct.db") as store:
        events = list(reversed(store.review_events(instruction_id=after["id"])))
        decisions = store.review_decisions([after["id"]])
    assert [(e["action"], e["status"]) for e in events] == [
        ("reject", "rejected"), ("undo", "unreviewed"), ("accept", "accepted"),
    ]  # fmt: skip
    assert events[1]["undoes"] == events[0]["id"]  # the rejection is kept, and marked undone
    assert [e["revision"] for e in events][1:] != [None, None]
    assert decisions == [(after["id"], "ann", "accepted")]


def test_a_page_loaded_before_a_restart_saves_after_it(tmp_path: Path) -> None:
    folder, ann, _, image_id = _folder(tmp_path)
    with serve(folder) as url, httpx.Client(base_url=url) as client:
        assert client.post("/login", data={"token": ann}).status_code == 303
        cookie = dict(client.cookies)
        page = _page(client, image_id)
    with serve(folder) as url2, httpx.Client(base_url=url2, cookies=cookie) as again:
        saved = _save(again, page, "judgement", action="accept")
    assert saved.status_code == 200 and saved.json()["saved"] is True

"""The review page in a real headless Chromium (the system's or Playwright's build, driven by
Playwright): log in with a token, accept with a key press, edit a multiple-choice option and
answer, reject with a reason, go to the next image; then the store and the audit trail hold
exactly those changes."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect, sync_playwright

from review.reviewkit import SCRIPT_QUESTION, build_project, serve
from visinstruct.project import Project
from visinstruct.review import add_reviewer
from visinstruct.store import Store

from conftest import find_chromium, need_system_part

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[BrowserContext]:
    chromium = find_chromium()
    need_system_part(chromium, "Chromium (the review UI test's browser)", "chromium")
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(chromium), headless=True, args=ARGS,
            viewport={"width": 1440, "height": 900}, timeout=30_000,
        )  # fmt: skip
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


def test_review_session_in_chromium(
    tmp_path: Path, browser: BrowserContext, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = build_project(tmp_path, {"landmark": 2, "ocr": 1})
    with Project.open(folder) as project:
        token = add_reviewer(project.store, "alice")
        first, second = sorted(i.id for i in project.store.images())[:2]
    with serve(folder) as url:
        page = browser.new_page()
        response = page.goto(url + "/")
        assert response is not None and response.status == 401
        page.fill("#token", token)
        page.click("button[type=submit]")
        expect(page.locator("table.list")).to_be_visible()
        page.click("a.button.primary")  # start reviewing the queue
        page.wait_for_url(f"{url}/image/{first}*")

        # Model output is text: the <script> in a question shows and never runs.
        shown = page.locator(".question", has_text="<script>window.pwned=1</script>")
        expect(shown).to_be_visible()
        assert page.evaluate("typeof window.pwned") == "undefined"

        accepted = page.locator(".card").nth(0)
        accepted_q = accepted.locator(".question").inner_text()
        page.keyboard.press("a")
        expect(accepted.locator("[data-role=status]")).to_have_text("accepted")

        mc = page.locator(".card[data-kind=multiple_choice]")
        mc.locator(".question").click()
        page.keyboard.press("e")
        mc.locator("input[name=choice-C]").fill("purple")
        mc.locator("select[name=answer]").select_option("C")
        page.keyboard.press("Control+Enter")
        expect(mc.locator("[data-role=status]")).to_have_text("edited")
        expect(mc.locator(".choices li.correct")).to_have_text("purple")

        short = page.locator(".card[data-kind=short_vqa]")
        short.locator(".question").click()
        page.keyboard.press("r")
        short.locator("input[name=reason]").fill("not answerable from the image")
        page.keyboard.press("Enter")
        expect(short.locator("[data-role=status]")).to_have_text("rejected")

        shot = tmp_path / "review-page.png"
        page.screenshot(path=str(shot))
        with capsys.disabled():
            print(f"\nreview page screenshot: {shot}")
        page.keyboard.press("n")
        page.wait_for_url(f"{url}/image/{second}*")
        expect(page.locator(".card").first).to_be_visible()

    assert shot.stat().st_size > 10_000
    with Store(folder / "visinstruct.db") as store:
        events = list(reversed(store.review_events()))
        statuses = {i.id: i for i in store.image_instructions(first)}
        others = store.image_instructions(second)
    assert [(e["reviewer"], e["action"], e["status"]) for e in events] == [
        ("alice", "accept", "accepted"),
        ("alice", "edit", "edited"),
        ("alice", "reject", "rejected"),
    ]
    assert all(e["image_id"] == first and e["seconds"] >= 0 for e in events)
    accept_ev, edit_ev, reject_ev = events
    assert accept_ev["before"]["question"] == accepted_q
    assert accept_ev["before"] == {**accept_ev["after"], "review_status": "unreviewed"}

    edited = statuses[edit_ev["instruction_id"]]  # the id is unchanged by the edit
    assert edited.kind == "multiple_choice"
    assert edited.review_status == "edited"
    assert edited.choices == ["red", "blue", "purple", "white"]
    assert edited.answer == "C"
    assert edit_ev["before"]["choices"] == ["red", "blue", "green", "white"]
    assert edit_ev["before"]["answer"] == "B"
    assert edit_ev["after"]["choices"] == edited.choices

    rejected = statuses[reject_ev["instruction_id"]]
    assert rejected.kind == "short_vqa"
    assert rejected.review_status == "rejected"
    assert reject_ev["reason"] == "not answerable from the image"

    changed = {e["instruction_id"] for e in events}
    assert len(changed) == 3
    untouched = [i for i in statuses.values() if i.id not in changed] + others
    assert {i.review_status for i in untouched} == {"unreviewed"}
    assert any(i.question == SCRIPT_QUESTION for i in statuses.values())


def _status(page: Page, index: int) -> Locator:
    return page.locator(".card").nth(index).locator("[data-role=status]")


def _current(page: Page) -> int:
    return int(page.evaluate("Array.from(document.querySelectorAll('.card')).findIndex("
                             "(c) => c.classList.contains('current'))"))  # fmt: skip


def test_twenty_items_by_keys_only(tmp_path: Path, browser: BrowserContext) -> None:
    """Accept, reject with a reason, edit, undo and a double press, keys only: 20 decisions,
    each event on the revision before it, the double press recorded once."""
    folder = build_project(tmp_path, {"landmark": 2, "ocr": 2}, script_image=False)
    with Project.open(folder) as project:
        token = add_reviewer(project.store, "kim")
        images = sorted(i.id for i in project.store.images())
    with serve(folder) as url:
        page = browser.new_page()
        page.goto(url + "/login")
        page.fill("#token", token)
        page.keyboard.press("Enter")
        expect(page.locator("table.list")).to_be_visible()

        # Opened from a filtered queue: the others are dimmed and j/k stay on the queue.
        page.goto(f"{url}/image/{images[0]}?kind=multiple_choice")
        expect(page.locator(".card.outside")).to_have_count(4)
        mc = page.locator(".card[data-kind=multiple_choice]")
        expect(mc).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("j")
        expect(mc).to_have_class(re.compile(r"\bcurrent\b"))

        page.goto(f"{url}/image/{images[0]}")
        assert _current(page) == 0
        page.keyboard.press("a")  # card 0: accept; the cursor moves on
        expect(_status(page, 0)).to_have_text("accepted")
        expect(page.locator(".card").nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("r")  # card 1: reject with a reason
        page.keyboard.type("wrong answer")
        page.keyboard.press("Enter")
        expect(_status(page, 1)).to_have_text("rejected")
        assert _current(page) == 2
        page.keyboard.press("e")  # card 2 (long answer): edit the answer
        page.keyboard.press("Tab")
        page.keyboard.press("End")
        page.keyboard.type(" Both shapes are flat.")
        page.keyboard.press("Control+Enter")
        expect(_status(page, 2)).to_have_text("edited")
        page.keyboard.press("u")  # undo the edit: a new revision, back to unreviewed
        expect(_status(page, 2)).to_have_text("unreviewed")
        assert _current(page) == 2
        page.keyboard.press("a")
        expect(_status(page, 2)).to_have_text("accepted")
        for index in (3, 4):
            page.keyboard.press("a")
            expect(_status(page, index)).to_have_text("accepted")

        posts: list[str] = []
        for n, image_id in enumerate(images[1:], start=1):
            page.keyboard.press("n")
            page.wait_for_url(f"{url}/image/{image_id}*")
            expect(page.locator(".card").first).to_be_visible()
            if n == 1:  # a double press: two key events before the first save returns
                page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
                page.evaluate(
                    "() => { for (let i = 0; i < 2; i++) document.dispatchEvent("
                    "new KeyboardEvent('keydown', {key: 'a', bubbles: true})); }"
                )
                expect(_status(page, 0)).to_have_text("accepted")
                expect(page.locator("#toast")).to_have_text("Already accepted")
                first_id = page.locator(".card").nth(0).get_attribute("data-id")
                assert posts == [f"{url}/api/instructions/{first_id}"] * 2  # both sent
                expect(_status(page, 1)).to_have_text("unreviewed")
                start = 1
            else:
                start = 0
            for index in range(start, 5):
                page.keyboard.press("a")
                expect(_status(page, index)).to_have_text("accepted")
        expect(page.locator("#progress [data-role=remaining]")).to_have_text("0")

    with Store(folder / "visinstruct.db") as store:
        decisions = [d for d in store.review_decisions([i for im in images for i in
                     (x.id for x in store.image_instructions(im))])]  # fmt: skip
        events = list(reversed(store.review_events(limit=1000)))
        history = {e["instruction_id"]: store.revisions(e["instruction_id"]) for e in events}
    assert len(decisions) == 20 and {d[1] for d in decisions} == {"kim"}
    actions = [e["action"] for e in events]
    assert len(events) == 22 and actions.count("edit") == 1 and actions.count("undo") == 1
    assert actions.count("reject") == 1 and actions.count("accept") == 19
    made: dict[str, int] = {}
    for e in events:  # each event was made on the revision left by the one before it
        revisions = history[e["instruction_id"]]
        n = made.get(e["instruction_id"], 0)
        assert e["revision"] == str(revisions[n]["revision"]), e
        assert revisions[n + 1]["author"] == "reviewer:kim"  # and made a revision of its own
        made[e["instruction_id"]] = n + 1
    assert all(len(h) == made[i] + 1 for i, h in history.items())  # nothing else changed them
    undo = next(e for e in events if e["action"] == "undo")
    edit = next(e for e in events if e["action"] == "edit")
    assert undo["undoes"] == edit["id"] and undo["after"] == edit["before"]

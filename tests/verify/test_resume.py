"""Verification resumes exactly, re-judges without calls, and survives a refusing server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verify.planted import build
from verify.responder import VerifierResponder
from verify.test_planted import KEY_ENV, config_for
from visinstruct.generate import GenerateStage
from visinstruct.project import Project
from visinstruct.records import Instruction
from visinstruct.verify import flagged_by

from fakeserver import FakeOpenAIServer, Reply


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "verify-key")


def _items(project: Project) -> dict[str, Instruction]:
    return {i.id: i for i in project.store.instructions_of(GenerateStage.hash_of(project.config))}


def test_rerun_pays_nothing_and_changes_nothing(tmp_path: Path) -> None:
    with FakeOpenAIServer(api_key="verify-key") as server:
        planted = build(tmp_path, config_for(server.base_url))
        server.responder = VerifierResponder(planted.truth)
        first = planted.project.verify()
        calls = server.chat_count
        before = _items(planted.project)
        second = planted.project.verify()
        assert server.chat_count == calls
    after = _items(planted.project)
    assert after == before
    assert second["balance"]["multiple_choice"]["moved"] == 0
    assert second["flagged"] == first["flagged"]
    for stage in second["model_stages"].values():
        assert stage["done"] == 0 and stage["done_before"] == stage["total"] > 0


def test_thresholds_and_switches_rejudge_stored_scores_without_calls(tmp_path: Path) -> None:
    with FakeOpenAIServer(api_key="verify-key") as server:
        planted = build(tmp_path, config_for(server.base_url))
        server.responder = VerifierResponder(planted.truth)
        planted.project.verify()
        calls = server.chat_count
        project = planted.project
        project.config.verify.answer_threshold = 0.3  # the noisy 0.4 doubts now pass
        project.config.verify.caption_check = False
        report = project.verify()
        assert server.chat_count == calls
    items = _items(project).values()
    doubted = [i for i in items if i.checks.get("answer_grounded", {}).get("score") == 0.4]
    assert doubted and all(i.checks["answer_grounded"]["passed"] for i in doubted)
    consistency = [
        i.checks["caption_consistency"] for i in items if "caption_consistency" in i.checks
    ]
    assert consistency and all(c["passed"] is None for c in consistency)
    assert report["checks"]["caption_consistency"]["off"] == len(consistency)
    assert report["model_stages"]["verify_caption"]["skipped"] == "switched off"


def test_an_edited_instruction_is_checked_again(tmp_path: Path) -> None:
    with FakeOpenAIServer(api_key="verify-key") as server:
        planted = build(tmp_path, config_for(server.base_url))
        responder = VerifierResponder(planted.truth)
        server.responder = responder
        project = planted.project
        project.verify()
        target = next(
            i for i in _items(project).values()
            if i.kind == "short_vqa" and planted.category[i.id] == "wrong"
        )  # fmt: skip
        truth = planted.truth[target.question].answer
        project.store.set_checks([])  # a no-op write is fine
        edited = target.model_copy(update={"answer": truth})
        with project.store.transaction() as db:  # as a reviewer's correction would
            db.execute("UPDATE instructions SET answer = ? WHERE id = ?", (truth, target.id))
        calls = server.chat_count
        project.verify()
        assert server.chat_count - calls == 2  # the answer and caption checks, once each
    assert not flagged_by(_items(project)[edited.id].checks)


def test_plain_verdicts_without_logprobs(tmp_path: Path) -> None:
    with FakeOpenAIServer(api_key="verify-key") as server:
        planted = build(tmp_path, config_for(server.base_url, use_logprobs=False))
        server.responder = VerifierResponder(planted.truth, logprobs=False)
        planted.project.verify()
        bodies = [r.body for r in server.chat_requests]
    assert bodies and not any("logprobs" in b for b in bodies)
    scores = {i.checks["answer_grounded"]["score"] for i in _items(planted.project).values()
              if "answer_grounded" in i.checks}  # fmt: skip
    assert scores == {0.0, 1.0}


def test_a_server_refusing_logprobs_is_asked_again_without(tmp_path: Path) -> None:
    with FakeOpenAIServer(api_key="verify-key") as server:
        planted = build(tmp_path, config_for(server.base_url, answer_check=True,
                                             blind_check=False, caption_check=False))  # fmt: skip
        inner = VerifierResponder(planted.truth, logprobs=False)

        def refusing(body: dict[str, Any]) -> Reply | str:
            if body.get("logprobs"):
                return Reply("logprobs are not supported by this model", status=400)
            return inner(body)

        server.responder = refusing
        report = planted.project.verify()
        refused = [r for r in server.chat_requests if r.body.get("logprobs")]
    assert report["model_stages"]["verify_answer"]["failed"] == 0
    assert 1 <= len(refused) <= 4  # one per worker at most, then never again
    assert json.loads((planted.project.config.export.dir / "verify_report.json").read_text())


def test_without_a_verifier_the_local_checks_still_run(tmp_path: Path) -> None:
    config = config_for("http://127.0.0.1:9/v1")
    config.models.verifier = None
    planted = build(tmp_path, config)
    report = planted.project.verify()
    assert all("skipped" in s for s in report["model_stages"].values())
    assert any("models.verifier" in note for note in report["notes"])
    assert report["checks"]["duplicate"]["flagged"] == 20
    assert report["balance"]["multiple_choice"]["moved"] > 0

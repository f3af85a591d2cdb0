"""``visinstruct review`` (reviewers, plan, stats, serve) and the review half of
``visinstruct cost report``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from review.reviewkit import build_project
from visinstruct.cli.main import main
from visinstruct.config import CONFIG_FILENAME, load_config, write_config
from visinstruct.project import Project
from visinstruct.records import ModelCall
from visinstruct.review import Edit, ReviewService, identify


def _run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_add_reviewer_prints_a_token_that_logs_in(tmp_path: Path) -> None:
    folder = build_project(tmp_path, {"landmark": 2})
    token = _run("review", "add-reviewer", "ann", "-p", str(folder)).stdout.strip()
    assert token.startswith("vir_")
    _run("review", "add-reviewer", "boss", "--role", "admin", "-p", str(folder))
    with Project.open(folder) as p:
        who = identify(p.store, token)
        assert who is not None and (who.name, who.role) == ("ann", "reviewer")
    again = CliRunner().invoke(main, ["review", "add-reviewer", "ann", "-p", str(folder)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    bad = CliRunner().invoke(main, ["review", "add-reviewer", "../x", "-p", str(folder)])
    assert bad.exit_code == 2 and "reviewer name" in bad.stderr
    listed = json.loads(_run("review", "list-reviewers", "-p", str(folder), "--json").stdout)
    assert [(r["name"], r["role"]) for r in listed] == [("ann", "reviewer"), ("boss", "admin")]
    assert token not in json.dumps(listed)


def test_remove_reviewer_and_rotate_token(tmp_path: Path) -> None:
    folder = build_project(tmp_path, {"landmark": 1})
    ann = _run("review", "add-reviewer", "ann", "-p", str(folder)).stdout.strip()
    bob = _run("review", "add-reviewer", "bob", "-p", str(folder)).stdout.strip()
    rotated = _run("review", "rotate-token", "bob", "-p", str(folder))
    new = rotated.stdout.strip()
    assert new.startswith("vir_") and new != bob and "0 open session(s)" in rotated.stderr
    removed = _run("review", "remove-reviewer", "ann", "-p", str(folder))
    assert "removed reviewer 'ann'" in removed.stderr
    with Project.open(folder) as p:
        assert identify(p.store, ann) is None and identify(p.store, bob) is None
        assert identify(p.store, new) is not None
    gone = CliRunner().invoke(main, ["review", "remove-reviewer", "ann", "-p", str(folder)])
    assert gone.exit_code != 0 and "no active reviewer named 'ann'" in gone.stderr


def test_serve_binds_localhost_and_needs_a_reviewer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    folder = build_project(tmp_path, {"landmark": 1})
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    none_yet = CliRunner().invoke(main, ["review", "serve", "-p", str(folder)])
    assert none_yet.exit_code == 2 and "add-reviewer" in none_yet.stderr
    _run("review", "add-reviewer", "ann", "-p", str(folder))
    local = _run("review", "serve", "-p", str(folder), "--port", "9001")
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 9001
    assert "http://127.0.0.1:9001/" in local.stderr and "warning" not in local.stderr
    wide = _run("review", "serve", "-p", str(folder), "--host", "0.0.0.0")
    assert calls[-1]["host"] == "0.0.0.0" and "TLS" in wide.stderr


def test_plan_and_stats(tmp_path: Path) -> None:
    folder = build_project(tmp_path, {"landmark": 6, "ocr": 3})
    plan = _run("review", "plan", "-p", str(folder), "--rate", "0.5", "--seed", "3")
    assert "flagged" in plan.stderr and "sampled" in plan.stderr
    stats = json.loads(_run("review", "stats", "-p", str(folder), "--json").stdout)
    assert stats["statuses"] == {"unreviewed": 46}
    assert stats["error_estimate"]["sampled"] > 0 and stats["error_estimate"]["rate"] is None
    text = _run("review", "stats", "-p", str(folder)).stdout
    assert "sampled instructions is reviewed yet" in " ".join(text.split())


def test_cost_report_joins_the_ledger_with_review_time(tmp_path: Path) -> None:
    """$0.60 of model calls, 36 minutes of review at $30/h ($18) for 42 kept instructions
    → $0.4429 each; by hand 3 min × $30/h = $1.50 each → ratio 0.295 (1/3.4)."""
    folder = build_project(tmp_path, {"landmark": 6, "ocr": 3})
    config = load_config(folder / CONFIG_FILENAME)
    config.review.hourly_rate_usd = 30
    config.review.manual_minutes_per_instruction = 3
    config.review.max_seconds_per_action = 3600
    write_config(config, folder / CONFIG_FILENAME)
    with Project.open(folder) as p:
        p.store.add_calls([
            ModelCall(stage="caption", unit_key="u1", role="captioner", model="m",
                      endpoint="e", started_at=0, latency_s=1, outcome="ok", cost_usd=0.25),
            ModelCall(stage="generate", unit_key="u2", role="generator", model="m",
                      endpoint="e", started_at=0, latency_s=1, outcome="ok", cost_usd=0.35),
        ])  # fmt: skip
        ann = identify(
            p.store, _run("review", "add-reviewer", "ann", "-p", str(folder)).stdout.strip()
        )
        assert ann is not None
        service = ReviewService(p.store, p.config)
        image = sorted(i.id for i in p.store.images())[0]
        first, second, third, *_ = p.store.image_instructions(image)
        service.apply(ann, first.id, "accept", seconds=600)
        service.apply(ann, second.id, "reject", reason="wrong", seconds=600)
        no = "否" if third.language == "zh" else "No"  # the rule book: 是/否 in Chinese
        service.apply(ann, third.id, "edit", edit=Edit(third.question, no), seconds=960)
    # 46 instructions: one rejected; the 3 multiple-choice items with a failed check are left
    # out by export.drop_failed_checks; the rest (unreviewed, accepted, edited) are kept.
    data = json.loads(_run("cost", "report", "-p", str(folder), "--json").stdout)
    review = data["review"]
    assert data["caption"]["cost_usd"] == 0.25 and data["generate"]["cost_usd"] == 0.35
    assert review["model_cost_usd"] == {"caption": 0.25, "generate": 0.35}
    assert review["review_hours"] == pytest.approx(0.6)
    assert review["review_cost_usd"] == pytest.approx(18.0)
    assert review["accepted"] == 42
    assert review["cost_per_accepted_usd"] == pytest.approx(18.6 / 42, abs=1e-6)
    assert review["manual_per_instruction_usd"] == pytest.approx(1.5)
    assert review["ratio_to_manual"] == pytest.approx(18.6 / 42 / 1.5, abs=1e-6)

    table = _run("cost", "report", "-p", str(folder)).stdout
    text = " ".join(re.sub("[\u2500-\u257f]", " ", table).split())  # no box drawing
    for shown in (
        "caption", "generate", "$0.2500", "$0.3500", "review hours 0.60 h",
        "accepted instructions 42", "cost per accepted instruction $0.44286",
        "manual baseline (3 min each) $1.5000", "ratio to manual 0.295 (1/3.4)",
    ):  # fmt: skip
        assert shown in text, shown

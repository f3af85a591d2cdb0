"""The store's verdict path (both copies in step, atomic remaps, the flagged query, the
migration's carry-over) and log-probabilities over real HTTP."""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
from pathlib import Path

import pytest

from visinstruct.config import ModelSpec
from visinstruct.errors import StoreError
from visinstruct.models.base import CallContext, ChatRequest, Message
from visinstruct.models.openai import OpenAIBackend
from visinstruct.records import CheckResult, ImageRecord, Instruction, Provenance
from visinstruct.store import DatasetScope, Head, Store

from fakeserver import FakeOpenAIServer, Reply

PROV = Provenance(model="m", prompt_version="v", config_hash="gen", caption_id="cap")
LIVE = DatasetScope(include_imports=False)


def _store(tmp_path: Path) -> tuple[Store, list[Instruction]]:
    store = Store(tmp_path / "db.sqlite")
    image = ImageRecord(id="img", path="/x.jpg", domain="d", width=1, height=1, format="JPEG",
                        bytes=1, phash="0")  # fmt: skip
    store.record_image(image, 1, 0.0)
    items = [
        Instruction(
            id=f"i{n}",
            image_id="img",
            domain="d",
            kind="multiple_choice",
            language="en",
            question=f"Q{n}?",
            choices=["a", "b", "c", "d"],
            answer="A",
            provenance=PROV,
        )
        for n in range(3)
    ]
    store.complete_unit("generate", "u", "gen", items, head=Head("img", "en", "cap"))
    return store, items


def _verdict(instruction_id: str, name: str, passed: bool | None) -> CheckResult:
    return CheckResult(instruction_id=instruction_id, name=name, passed=passed, score=0.5,
                       reason="r", details={"k": 1})  # fmt: skip


def test_verdicts_are_kept_in_both_places_and_queried(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    store.set_checks([_verdict("i0", "a", False), _verdict("i0", "b", True),
                      _verdict("i1", "a", None), _verdict("i2", "b", False)])  # fmt: skip
    assert store.instructions_by_id(["i0"])[0].checks["a"] == {
        "passed": False, "score": 0.5, "reason": "r", "k": 1
    }  # fmt: skip
    assert [i.id for i in store.flagged_instructions()] == ["i0", "i2"]
    assert [i.id for i in store.flagged_instructions(LIVE, check="a")] == ["i0"]
    store.set_checks([_verdict("i0", "a", True)])  # replaced, not added
    store.remove_checks("i2", ["b"])
    assert store.flagged_instructions() == []
    assert store.instructions_by_id(["i2"])[0].checks == {}
    unflagged = store.unflagged_page(LIVE, failed_checks=["a"], after_id="", limit=10)
    assert [i.id for i in unflagged] == ["i0", "i1", "i2"]


def test_remap_and_verdict_commit_together(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    record = _verdict("i0", "mc_balance", True)
    store.remap_choices("i0", ["b", "a", "c", "d"], "B", record)
    moved = store.instructions_by_id(["i0"])[0]
    assert (moved.choices, moved.answer) == (["b", "a", "c", "d"], "B")
    assert moved.checks["mc_balance"]["passed"] is True
    with pytest.raises(StoreError, match="no instruction with id missing"):
        store.remap_choices("missing", ["a"], "A", _verdict("missing", "mc_balance", True))
    assert [i.id for i in store.instructions_by_id(["i0", "missing"])] == ["i0"]


def test_migration_carries_verdicts_written_before_it(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    store.close()
    db = sqlite3.connect(tmp_path / "db.sqlite")
    db.execute("DROP TABLE instruction_checks")
    db.execute("DELETE FROM schema_migrations WHERE name = '0004_verify_checks'")
    checks = json.dumps({"imported": {"passed": False, "score": 0.1, "reason": "x"}})
    db.execute("UPDATE instructions SET checks = ? WHERE id = 'i1'", (checks,))
    db.commit()
    db.close()
    with Store(tmp_path / "db.sqlite") as store:
        assert [i.id for i in store.flagged_instructions(check="imported")] == ["i1"]


def test_openai_backend_asks_for_and_parses_logprobs() -> None:
    with FakeOpenAIServer() as server:
        server.script(
            Reply("Yes", logprobs=[{"Yes": math.log(0.8), "No": math.log(0.2)}]),
            Reply("Yes", logprobs=[{"Yes": math.log(0.8)}]),
        )
        spec = ModelSpec(model="m", base_url=server.base_url, max_retries=0)
        backend = OpenAIBackend(spec, "verifier", env={})

        async def go() -> tuple[object, object]:
            request = ChatRequest((Message("user", "Is it?"),), logprobs=True)
            first = await backend.chat(request, CallContext("t", "u"))
            plain = await backend.chat(
                ChatRequest((Message("user", "Is it?"),)), CallContext("t", "u")
            )
            await backend.aclose()
            return first, plain

        first, plain = asyncio.run(go())
        bodies = [r.body for r in server.chat_requests]
    assert bodies[0]["logprobs"] is True and bodies[0]["top_logprobs"] == 5
    assert "logprobs" not in bodies[1]
    assert first.top_logprobs is not None  # type: ignore[attr-defined]
    top = first.top_logprobs[0]  # type: ignore[attr-defined]
    assert math.isclose(math.exp(top["Yes"]), 0.8) and math.isclose(math.exp(top["No"]), 0.2)
    assert plain.top_logprobs is None  # type: ignore[attr-defined]

"""The generate stage over real HTTP against the scripted test server."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from visinstruct.caption import CaptionStage
from visinstruct.config import ProjectConfig
from visinstruct.generate import GenerateStage
from visinstruct.generate.stage import RAW_SEPARATOR
from visinstruct.project import Project
from visinstruct.records import Caption

from conftest import make_images
from fakeserver import FakeOpenAIServer, Reply
from responders import _parts, caption_for, engine_responder, generation_items, requested

KEY_ENV = "VISINSTRUCT_GENERATE_TEST_KEY"
KEY = "gen-test-key"
REFUSAL = "I'm sorry, but I can't help with that request."
LEAKY = "According to the description, is the square on the left red?"


def _config(base_url: str, **generate: Any) -> ProjectConfig:
    spec = {"model": "fake-model", "base_url": base_url, "api_key_env": KEY_ENV,
            "max_retries": 0, "concurrency": 4}  # fmt: skip
    return ProjectConfig.model_validate(
        {"models": {"captioner": dict(spec), "generator": dict(spec)}, "generate": generate}
    )


def _project(tmp_path: Path, config: ProjectConfig, per_domain: dict[str, int]) -> Project:
    """A project with collected images and a caption for each, written straight to the store
    (the caption stage has its own tests; here only generation is under test)."""
    make_images(tmp_path / "images", per_domain)
    config = config.model_copy(deep=True)
    config.collect.path = tmp_path / "images"
    project = Project(tmp_path / "project", config)
    project.collect()
    caption_hash = CaptionStage.hash_of(project.config)
    for image in project.store.images():
        text = caption_for(image.id)  # by content, so prompts are the same on every run
        caption = Caption(
            id=Caption.make_id(image.id, caption_hash, text), image_id=image.id, text=text,
            language="en", model="fake-model", prompt_version="v1", config_hash=caption_hash,
        )  # fmt: skip
        project.store.complete_unit("caption", image.id, caption_hash, [caption])
    return project


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


class FaultyGenerator:
    """A generator that misbehaves on a deterministic share of prompts, and notes how.

    By the prompt's hash: 1 in 8 first replies is a refusal (the repair turn then gets a good
    reply), 1 in 8 replies carries an extra leaky judgement item, and 1 in 32 prompts is refused
    even after repair. Captions are made from image content, so the fates are the same on every
    run.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.injected: Counter[str] = Counter()

    def fate(self, prompt: str) -> str:
        n = int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16)
        if n % 32 == 2:
            return "hopeless"
        return {0: "refuse_once", 1: "leak"}.get(n % 8, "fine")

    def __call__(self, body: dict[str, Any]) -> Reply | str:
        text, _ = _parts(body)
        if not requested(text):
            return engine_responder(body)
        first_prompt = body["messages"][1]["content"]
        first = first_prompt if isinstance(first_prompt, str) else first_prompt[0]["text"]
        fate = self.fate(first)
        repairing = len(body["messages"]) > 2
        with self.lock:
            self.injected[fate + (":repair" if repairing else "")] += 1
        if fate == "hopeless" or (fate == "refuse_once" and not repairing):
            return REFUSAL
        _, items = generation_items(text)
        if fate == "leak":
            items.insert(0, {"kind": "judgement", "question": LEAKY, "answer": "Yes"})
        return json.dumps({"instructions": items}, ensure_ascii=False)


def test_fifty_images_two_languages_four_kinds_balanced_and_rejects_kept(tmp_path: Path) -> None:
    generator = FaultyGenerator()
    with FakeOpenAIServer(generator, api_key=KEY) as server:
        config = _config(server.base_url, languages=["en", "zh"], max_unit_attempts=1)
        with _project(tmp_path, config, {"landmark": 25, "ocr": 25}) as project:
            summary = project.generate()
            store, config_hash = project.store, GenerateStage.hash_of(project.config)
            instructions = list(store.instructions_of(config_hash))
            rejects = store.item_rejects("generate", config_hash)
            failures = store.failures("generate", config_hash, limit=100)
    hopeless = generator.injected["hopeless"]
    assert summary.total == 100
    assert summary.failed == hopeless
    assert summary.done == 100 - hopeless
    assert 0 < hopeless < 10
    assert generator.injected["refuse_once"] > 0
    assert generator.injected["leak"] > 0
    # Every unit that succeeded holds all four kinds with a balanced judgement set.
    per_unit: dict[tuple[str, str], list[Any]] = {}
    for ins in instructions:
        per_unit.setdefault((ins.image_id, ins.language), []).append(ins)
    assert len(per_unit) == 100 - hopeless
    assert {lang for _, lang in per_unit} == {"en", "zh"}
    for unit in per_unit.values():
        kinds = Counter(i.kind for i in unit)
        assert kinds == {"judgement": 4, "multiple_choice": 2, "long_vqa": 1, "short_vqa": 2}
        answers = Counter(i.answer for i in unit if i.kind == "judgement")
        assert sorted(answers.values()) == [2, 2]
    # Every rejected reply or item is in the store with its reason and raw text.
    by_code = Counter(r["reason"].split(":")[0] for r in rejects)
    assert by_code == {
        "reply_unusable": generator.injected["refuse_once"],
        "leakage": generator.injected["leak"],
    }
    for reject in rejects:
        if reject["reason"].startswith("reply_unusable"):
            assert reject["content"] == REFUSAL
        else:
            assert LEAKY in reject["content"]
            assert reject["kind"] == "judgement"
    assert len(failures) == hopeless
    for failure in failures:
        assert failure["raw"] == REFUSAL + RAW_SEPARATOR + REFUSAL
        assert "after one repair turn" in failure["last_error"]


def test_vision_tagged_per_kind_sends_images_and_keys_units_per_kind(tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder, api_key=KEY) as server:
        config = _config(
            server.base_url, languages=["en", "zh"], mode="vision", layout="per_kind",
            format="tagged",
        )  # fmt: skip
        with _project(tmp_path, config, {"landmark": 3}) as project:
            summary = project.generate()
            instructions = list(
                project.store.instructions_of(GenerateStage.hash_of(project.config))
            )
            again = project.generate()
        bodies = [r.body for r in server.chat_requests]
    assert summary.total == summary.done == 3 * 2 * 4
    assert again.done == 0
    assert again.done_before == 24
    assert len(bodies) == 24  # one call per unit, none repeated on the rerun
    for body in bodies:
        text, images = _parts(body)
        assert len(images) == 1
        assert images[0].startswith("data:image/")
        assert "<Q1>" in text
        assert "response_format" not in body
        assert len(requested(text)) == 1
    assert Counter(i.kind for i in instructions) == {
        "judgement": 24, "multiple_choice": 12, "long_vqa": 6, "short_vqa": 12,
    }  # fmt: skip
    assert Counter(i.language for i in instructions) == {"en": 27, "zh": 27}


def test_combined_json_caption_mode_sends_one_text_call_with_schema(tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder, api_key=KEY) as server:
        config = _config(server.base_url)
        config.models.generator.json_mode = "schema"  # type: ignore[union-attr]
        with _project(tmp_path, config, {"ocr": 2}) as project:
            project.generate()
            count = project.store.count_instructions(GenerateStage.hash_of(project.config))
        bodies = [r.body for r in server.chat_requests]
    assert count == 2 * 9
    assert len(bodies) == 2
    for body in bodies:
        text, images = _parts(body)
        assert images == []
        assert "<Q1>" not in text
        schema = body["response_format"]["json_schema"]["schema"]
        kinds = schema["properties"]["instructions"]["items"]["properties"]["kind"]["enum"]
        assert kinds == ["judgement", "multiple_choice", "long_vqa", "short_vqa"]
        assert "Example questions for this domain" in text
        assert "Text in the image" in text
        assert "Background knowledge" in text


def test_repair_turn_appends_reply_and_complaint(tmp_path: Path) -> None:
    good = json.dumps({"instructions": [
        {"kind": "short_vqa", "question": "What colour is the square?", "answer": "red"}
    ]})  # fmt: skip
    with FakeOpenAIServer(engine_responder, api_key=KEY) as server:
        with _project(tmp_path, _config(server.base_url), {"ocr": 1}) as project:
            server.script(
                '{"instructions": [{"kind": "multiple_choice", "question": "Which?", '
                '"choices": ["a", "b", "c"], "answer": "A"}]}',
                good,
            )
            summary = project.generate()
            config_hash = GenerateStage.hash_of(project.config)
            rejects = project.store.item_rejects("generate", config_hash)
            count = project.store.count_instructions(config_hash)
        second = server.chat_requests[1].body["messages"]
    assert summary.done == 1
    assert count == 1
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert "Which?" in second[2]["content"]
    complaint = second[3]["content"]
    assert "could not be used" in complaint
    assert "mc_option_count" in complaint
    assert [r["reason"].split(":")[0] for r in rejects] == ["reply_unusable"]


def test_no_repair_when_switched_off_and_error_row_keeps_raw(tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder, api_key=KEY) as server:
        config = _config(server.base_url, repair=False, max_unit_attempts=1)
        with _project(tmp_path, config, {"ocr": 1}) as project:
            server.script(REFUSAL)
            summary = project.generate()
            failures = project.store.failures("generate", GenerateStage.hash_of(project.config))
        assert server.chat_count == 1
    assert summary.failed == 1
    assert failures[0]["raw"] == REFUSAL


def test_units_per_caption_follows_layout_and_languages() -> None:
    config = _config(
        "http://127.0.0.1:1/v1",
        languages=["en", "zh"],
        layout="per_kind",
        counts={"judgement": 2, "multiple_choice": 0, "long_vqa": 1, "short_vqa": 1},
    )
    assert GenerateStage.units_per_caption(config) == 6
    config.generate.layout = "combined"
    assert GenerateStage.units_per_caption(config) == 2
    assert GenerateStage.hash_of(config) != GenerateStage.hash_of(
        config.model_copy(
            update={"generate": config.generate.model_copy(update={"mode": "vision"})}
        )
    )

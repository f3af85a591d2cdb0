"""The caption stage against the scripted test server: the prompt variant each image gets,
per language, and every quality-gate failure caught, retried per policy and recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caption.captionkit import project_config
from visinstruct.caption import CaptionStage
from visinstruct.collect import inspect_image
from visinstruct.project import Project
from visinstruct.records import ImageRecord, Language, OcrLine

from conftest import make_images
from fakeserver import FakeOpenAIServer, Reply

GOOD_EN = (
    "A red square sits on the left of a white background and a blue circle sits on the right. "
    "The square is larger than the circle, and the lighting is even across the picture."
)
GOOD_ZH = (
    "白色背景上，左边是一个红色的正方形，右边是一个蓝色的圆形。"
    "正方形比圆形大，整幅画面光线均匀，没有文字。"
)


def _prompt_of(body: dict[str, Any]) -> str:
    texts = []
    for message in body.get("messages", []):
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        texts += [p["text"] for p in parts if p.get("type") == "text"]
    return "\n".join(texts)


def bilingual_captioner(body: dict[str, Any]) -> str:
    """Answers in the language the prompt asks for."""
    return GOOD_ZH if "简体中文" in _prompt_of(body) else GOOD_EN


def _add_images(
    project: Project, root: Path, specs: list[tuple[dict[str, Any], list[str]]]
) -> list[ImageRecord]:
    """Record one image per (prior, OCR lines) spec, as collect + OCR would have."""
    paths = make_images(root, {"landmark": len(specs)})
    records = []
    for path, (prior, lines) in zip(paths, specs, strict=True):
        found = inspect_image(path, "landmark")
        assert isinstance(found, ImageRecord)
        record = found.model_copy(update={"prior": prior})
        stat = path.stat()
        project.store.record_image(record, stat.st_size, stat.st_mtime)
        ocr = [OcrLine(text=t, box=(0, 10 * i, 50, 10 * i + 8)) for i, t in enumerate(lines)]
        project.store.set_ocr(record.id, ocr, "test-engine")
        records.append(record)
    return records


INTROS = {
    "en": ("The image contains this text", "Background information that came with the image"),
    "zh": ("图中包含以下文字", "以下是随图片附带的背景信息"),
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_image_gets_the_variant_its_data_calls_for(
    tmp_path: Path, api_key: str, open_projects: list[Project], language: Language
) -> None:
    with FakeOpenAIServer(bilingual_captioner, api_key=api_key) as server:
        config = project_config(server.base_url, caption={"language": language})
        project = Project(tmp_path / "project", config)
        open_projects.append(project)
        plain, ocr, prior, both = _add_images(project, tmp_path / "images", [
            ({}, []),
            ({}, ["OCR-ONLY 出口"]),
            ({"title": "PRIOR-ONLY bridge", "tags": ["river"]}, []),
            ({"keyword": "BOTH-KEYWORD"}, ["BOTH-SIGN"]),
        ])  # fmt: skip
        summary = project.caption()
        prompts = [_prompt_of(r.body) for r in server.chat_requests]
    assert (summary.done, summary.failed) == (4, 0)
    captions = {c.image_id: c for c in project.store.captions(CaptionStage.hash_of(config))}
    expected = {plain.id: "plain", ocr.id: "ocr", prior.id: "prior", both.id: "ocr+prior"}
    assert {i: c.prompt_version for i, c in captions.items()} == {
        i: f"v2/{v}" for i, v in expected.items()
    }
    assert {c.text for c in captions.values()} == {GOOD_ZH if language == "zh" else GOOD_EN}
    ocr_intro, prior_intro = INTROS[language]
    assert sum(ocr_intro in p for p in prompts) == 2
    assert sum(prior_intro in p for p in prompts) == 2
    (ocr_prompt,) = [p for p in prompts if "OCR-ONLY 出口" in p]
    assert ocr_intro in ocr_prompt
    assert prior_intro not in ocr_prompt
    (prior_prompt,) = [p for p in prompts if "PRIOR-ONLY bridge" in p]
    assert prior_intro in prior_prompt
    assert ocr_intro not in prior_prompt
    (both_prompt,) = [p for p in prompts if "BOTH-SIGN" in p]
    assert "BOTH-KEYWORD" in both_prompt
    assert ocr_intro in both_prompt
    assert all(("简体中文" in p) == (language == "zh") for p in prompts)


LONG_EN = GOOD_EN + " " + GOOD_EN.replace("red", "crimson")
GATE_CASES = [
    ("truncated", "en", Reply(LONG_EN, finish_reason="length")),
    ("too_short", "en", Reply("A red square.")),
    ("refusal", "en", Reply("I'm sorry, but I can't help with that.")),
    ("refusal", "zh", Reply("抱歉，我无法描述这张图片。")),
    ("ai_mention", "en", Reply("As an AI language model I cannot see images. " + GOOD_EN)),
    ("wrong_language", "zh", Reply(GOOD_EN)),
    ("wrong_language", "en", Reply(GOOD_ZH)),
    ("repetition", "en", Reply("The image shows " + "a red square and a blue circle, " * 12)),
]


@pytest.mark.parametrize(("reason", "language", "reply"), GATE_CASES)
def test_gate_failures_are_retried_then_recorded_and_never_generated_from(
    tmp_path: Path,
    api_key: str,
    open_projects: list[Project],
    reason: str,
    language: Language,
    reply: Reply,
) -> None:
    with FakeOpenAIServer(api_key=api_key) as server:
        server.script(reply, reply, reply)
        config = project_config(server.base_url, caption={"language": language})
        project = Project(tmp_path / "project", config)
        open_projects.append(project)
        _add_images(project, tmp_path / "images", [({}, [])])
        summary = project.caption()
        temperatures = [r.body["temperature"] for r in server.chat_requests]
        generated = project.generate()
        calls_after_generate = server.chat_count
    assert (summary.done, summary.failed) == (0, 1)
    # The stated policy: caption.max_unit_attempts (3) tries in the run, each retry hotter.
    assert temperatures == [0.2, 0.5, 0.8]
    config_hash = CaptionStage.hash_of(config)
    (failure,) = project.store.failures("caption", config_hash)
    assert failure["last_error"].startswith(f"caption gate: {reason}: ")
    assert failure["raw"] == reply.content
    assert failure["attempts"] == 3
    assert project.store.count_captions(config_hash) == 0
    assert (generated.total, calls_after_generate) == (0, 3)  # nothing reached generation
    assert len(project.store.calls("caption")) == 3  # every attempt is in the ledger


def test_a_caption_that_passes_on_retry_is_kept(
    tmp_path: Path, api_key: str, open_projects: list[Project]
) -> None:
    with FakeOpenAIServer(api_key=api_key) as server:
        server.script("I can't help with that.", GOOD_EN)
        project = Project(tmp_path / "project", project_config(server.base_url))
        open_projects.append(project)
        _add_images(project, tmp_path / "images", [({}, [])])
        summary = project.caption()
        temperatures = [r.body["temperature"] for r in server.chat_requests]
    assert (summary.done, summary.failed) == (1, 0)
    assert temperatures == [0.2, 0.5]
    config_hash = CaptionStage.hash_of(project.config)
    assert [c.text for c in project.store.captions(config_hash)] == [GOOD_EN]
    assert project.store.failures("caption", config_hash) == []


def test_failed_images_get_a_fresh_budget_with_retry_failed(
    tmp_path: Path, api_key: str, open_projects: list[Project]
) -> None:
    with FakeOpenAIServer(api_key=api_key) as server:
        server.script(*["Sorry, no."] * 3)
        config = project_config(server.base_url, caption={"max_unit_attempts": 3})
        project = Project(tmp_path / "project", config)
        open_projects.append(project)
        _add_images(project, tmp_path / "images", [({}, [])])
        assert project.caption().failed == 1
        assert project.caption().total == 1
        assert server.chat_count == 3
        server.script(GOOD_EN)
        again = project.caption(retry_failed=True)
    assert (again.done, again.failed) == (1, 0)
    assert project.store.count_captions(CaptionStage.hash_of(config)) == 1

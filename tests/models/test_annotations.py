"""The annotations captioner: a description from facts, marked as such, that passes the gate."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from visinstruct.caption.gate import check_caption
from visinstruct.collect import inspect_image
from visinstruct.config import ModelSpec
from visinstruct.errors import ConfigError, UnitError
from visinstruct.models.annotations import AnnotationsBackend
from visinstruct.models.base import CallContext, ChatRequest, Message
from visinstruct.models.openai import OpenAIBackend
from visinstruct.models.registry import create_backend
from visinstruct.records import ImageRecord, ModelCall


def _image(tmp_path: Path) -> ImageRecord:
    Image.new("RGB", (400, 300), (30, 60, 200)).save(tmp_path / "x.png")
    record = inspect_image(tmp_path / "x.png", "posters")
    assert isinstance(record, ImageRecord)
    prior = {"labels": ["kite"], "text": ["FLY HIGH"], "zh": {"labels": ["风筝"]}}
    return record.model_copy(update={"prior": prior})


def _backend() -> AnnotationsBackend:
    backend = create_backend(ModelSpec(backend="annotations", model="annotations"), "captioner")
    assert isinstance(backend, AnnotationsBackend)
    return backend


@pytest.mark.parametrize("language", ["en", "zh"])
def test_caption_states_the_facts_and_passes_the_gate(tmp_path: Path, language: str) -> None:
    image = _image(tmp_path)
    calls: list[ModelCall] = []
    request = ChatRequest(
        (Message("user", "describe"),), context={"image": image, "language": language}
    )
    reply = asyncio.run(_backend().chat(request, CallContext("caption", "u", calls.append)))
    assert "FLY HIGH" in reply.text
    assert ("风筝" if language == "zh" else "a kite") in reply.text
    assert ("蓝色" if language == "zh" else "blue") in reply.text
    assert check_caption(reply.text, min_chars=40, language=language) is None  # type: ignore[arg-type]
    assert [(c.outcome, c.endpoint, c.input_tokens) for c in calls] == [("ok", "annotations:", 0)]


def test_captions_are_marked_as_annotations() -> None:
    assert AnnotationsBackend.caption_source == "annotations"
    assert OpenAIBackend.caption_source == "model"


def test_only_the_captioner_role() -> None:
    with pytest.raises(ConfigError, match="template"):
        create_backend(ModelSpec(backend="annotations", model="annotations"), "generator")


def test_nothing_to_describe_fails_the_unit(tmp_path: Path) -> None:
    image = _image(tmp_path).model_copy(update={"prior": {}, "path": str(tmp_path / "gone.png")})
    request = ChatRequest((Message("user", "describe"),), context={"image": image})
    with pytest.raises(UnitError, match="nothing to describe"):
        asyncio.run(_backend().chat(request, CallContext("caption", "u")))

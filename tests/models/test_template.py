"""The template backend: a generator reply made from facts, with no model and no network."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from visinstruct.collect import inspect_image
from visinstruct.config import ModelSpec
from visinstruct.errors import ConfigError, UnitError
from visinstruct.generate.parse import parse_reply
from visinstruct.models.base import CallContext, ChatRequest, Message
from visinstruct.models.registry import create_backend
from visinstruct.models.template import TemplateBackend
from visinstruct.records import ImageRecord, ModelCall

COUNTS = {"judgement": 4, "multiple_choice": 2, "long_vqa": 1, "short_vqa": 2}


def _record(
    tmp_path: Path, name: str, fill: tuple[int, int, int], prior: dict[str, Any]
) -> ImageRecord:
    image = Image.new("RGB", (320, 240), fill)
    ImageDraw.Draw(image).ellipse((40, 40, 140, 140), fill=(250, 250, 250))
    image.save(tmp_path / name)
    record = inspect_image(tmp_path / name, "image_description")
    assert isinstance(record, ImageRecord)
    return record.model_copy(update={"prior": prior})


def _request(image: ImageRecord, peers: list[ImageRecord], language: str = "en") -> ChatRequest:
    return ChatRequest(
        messages=(Message("user", "ignored by the template backend"),),
        context={"image": image, "language": language, "counts": COUNTS, "seeds": {},
                 "peers": peers},
    )  # fmt: skip


def _backend() -> TemplateBackend:
    backend = create_backend(ModelSpec(backend="template", model="template"), "generator")
    assert isinstance(backend, TemplateBackend)
    return backend


def test_reply_is_the_generator_json_shape_and_one_free_call_is_recorded(tmp_path: Path) -> None:
    cat = _record(tmp_path, "cat.png", (200, 40, 40), {"labels": ["cat", "sofa"]})
    dog = _record(tmp_path, "dog.png", (40, 40, 200), {"labels": ["dog"]})
    calls: list[ModelCall] = []
    context = CallContext("generate", "unit-1", record=calls.append)
    reply = asyncio.run(_backend().chat(_request(cat, [dog]), context))
    body = json.loads(reply.text)
    kinds = {item["kind"] for item in body["instructions"]}
    assert kinds == set(COUNTS)
    assert len(parse_reply(reply.text)) == len(body["instructions"])
    assert (reply.input_tokens, reply.output_tokens, reply.cost_usd) == (0, 0, 0.0)
    assert len(calls) == 1
    call = calls[0]
    assert (call.outcome, call.endpoint, call.input_tokens, call.output_tokens) == (
        "ok", "template:", 0, 0,
    )  # fmt: skip
    assert call.cost_usd == 0.0
    assert call.unit_key == "unit-1"


def test_same_request_same_reply(tmp_path: Path) -> None:
    cat = _record(tmp_path, "cat.png", (200, 40, 40), {"labels": ["cat"]})
    dog = _record(tmp_path, "dog.png", (40, 40, 200), {"labels": ["dog"]})
    backend = _backend()
    first = asyncio.run(backend.chat(_request(cat, [dog]), CallContext("g", "u")))
    second = asyncio.run(backend.chat(_request(cat, [dog]), CallContext("g", "u")))
    assert first.text == second.text


def test_image_without_usable_facts_fails_the_unit(tmp_path: Path) -> None:
    gone = _record(tmp_path, "gone.png", (120, 120, 120), {})
    (tmp_path / "gone.png").unlink()  # nothing to measure, no labels, no text
    calls: list[ModelCall] = []
    with pytest.raises(UnitError, match="no usable facts"):
        asyncio.run(_backend().chat(_request(gone, []), CallContext("g", "u", calls.append)))
    assert [c.outcome for c in calls] == ["error"]


def test_only_the_generator_role(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="annotations"):
        create_backend(ModelSpec(backend="template", model="template"), "captioner")


def test_request_without_image_is_refused() -> None:
    request = ChatRequest(messages=(Message("user", "hi"),))
    with pytest.raises(UnitError, match="image record"):
        asyncio.run(_backend().chat(request, CallContext("g", "u")))

"""The ``annotations`` backend: captions assembled from what is known, with no model.

The caption is a structured description built from the image's OCR lines, manifest labels,
tags, title and chart data, and its measured look (palette, colours, brightness, sharpness,
format). Captions it writes are stored with ``source="annotations"``, so nobody mistakes them
for a model's description; the later stages run on them unchanged.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from visinstruct.config import ModelSpec, Role
from visinstruct.errors import ConfigError, UnitError
from visinstruct.facts import describe, extract_facts
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse, ModelBackend
from visinstruct.models.template import image_of, record_offline_call
from visinstruct.records import CaptionSource, Language

__all__ = ["AnnotationsBackend"]


class AnnotationsBackend(ModelBackend):
    """Captioner backend that describes an image from its facts, for free."""

    name: ClassVar[str] = "annotations"
    caption_source: ClassVar[CaptionSource] = "annotations"

    def __init__(self, spec: ModelSpec, role: Role):
        if role != "captioner":
            raise ConfigError(
                "the annotations backend writes captions only; use it for the captioner role "
                "(for offline instructions use backend: template)",
                field=f"models.{role}.backend",
            )
        super().__init__(spec, role)

    @property
    def endpoint(self) -> str:
        return "annotations:"

    def describe(self, request: ChatRequest) -> str:
        image = image_of(request, self.name)
        language: Language = "zh" if request.context.get("language") == "zh" else "en"
        return describe(extract_facts(image), language)

    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        started = time.time()
        text = await asyncio.to_thread(self.describe, request)
        if not text:
            image = image_of(request, self.name)
            message = (
                f"nothing to describe for {image.path}: no OCR text, no manifest labels, and "
                "its file could not be measured"
            )
            record_offline_call(self, request, context, started, error=message)
            raise UnitError(message)
        record_offline_call(self, request, context, started)
        return ChatResponse(text=text, finish_reason="stop", model=self.spec.model)

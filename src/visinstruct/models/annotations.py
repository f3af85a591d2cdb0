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

from visinstruct.config import Role
from visinstruct.errors import UnitError
from visinstruct.facts import describe, extract_facts
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse
from visinstruct.models.offline import OfflineBackend
from visinstruct.records import CaptionSource, Language

__all__ = ["AnnotationsBackend"]


class AnnotationsBackend(OfflineBackend):
    """Captioner backend that describes an image from its facts, for free."""

    name: ClassVar[str] = "annotations"
    caption_source: ClassVar[CaptionSource] = "annotations"
    serves: ClassVar[Role] = "captioner"
    alternative: ClassVar[str] = "for offline instructions use backend: template"

    def describe(self, request: ChatRequest) -> str:
        image = self.image_of(request)
        language: Language = "zh" if request.context.get("language") == "zh" else "en"
        return describe(extract_facts(image), language)

    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        started = time.time()
        text = await asyncio.to_thread(self.describe, request)
        if not text:
            image = self.image_of(request)
            message = (
                f"nothing to describe for {image.path}: no OCR text, no manifest labels, and "
                "its file could not be measured"
            )
            self.record_call(context, started, error=message)
            raise UnitError(message)
        self.record_call(context, started)
        return ChatResponse(text=text, finish_reason="stop", model=self.spec.model)

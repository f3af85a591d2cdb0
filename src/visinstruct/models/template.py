"""The ``template`` backend: instructions filled from facts the image already carries.

No model and no network: the reply is composed from the image's OCR lines, its manifest labels
and chart data, and measurements of its pixels (see :mod:`visinstruct.facts`), in the exact
JSON shape a generator model is asked for, so the generate stage parses it like any reply.
Every answer is true by construction; an image with nothing to ask about fails its unit.

Each call is still reported to the ledger (zero tokens, zero cost), so ``status`` counts it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from visinstruct.config import Role
from visinstruct.errors import UnitError
from visinstruct.facts import GroundedItem, compose, extract_facts
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse
from visinstruct.models.offline import OfflineBackend
from visinstruct.records import KINDS, ImageRecord, Kind, Language

__all__ = ["TemplateBackend"]


def _counts(value: Any) -> dict[Kind, int]:
    if not isinstance(value, Mapping):
        return {}
    return {k: int(value[k]) for k in KINDS if isinstance(value.get(k), int)}


def _seeds(value: Any) -> dict[Kind, list[str]]:
    if not isinstance(value, Mapping):
        return {}
    found: dict[Kind, list[str]] = {}
    for kind in KINDS:
        listed = value.get(kind)
        if isinstance(listed, Sequence) and not isinstance(listed, str):
            found[kind] = [s for s in listed if isinstance(s, str)]
    return found


class TemplateBackend(OfflineBackend):
    """Generator backend that writes grounded instructions from facts, for free."""

    name: ClassVar[str] = "template"
    serves: ClassVar[Role] = "generator"
    alternative: ClassVar[str] = "for offline captions use backend: annotations"

    def compose_items(self, request: ChatRequest) -> list[GroundedItem]:
        """The items (with the claims behind each answer) for ``request``.

        Public so that checks can see what each answer rests on; :meth:`chat` replies with
        exactly these items.
        """
        image = self.image_of(request)
        language: Language = "zh" if request.context.get("language") == "zh" else "en"
        peers = [
            extract_facts(p) for p in request.context.get("peers", ()) if isinstance(p, ImageRecord)
        ]
        facts = extract_facts(image)
        counts = _counts(request.context.get("counts"))
        seeds = _seeds(request.context.get("seeds"))
        limit = request.context.get("long_min_words")
        if isinstance(limit, int) and limit > 0:
            return compose(facts, peers, language, counts, seeds, long_min_words=limit)
        return compose(facts, peers, language, counts, seeds)

    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        started = time.time()
        # Measuring pixels is CPU work: keep the event loop free for progress and Ctrl-C.
        items = await asyncio.to_thread(self.compose_items, request)
        if not items:
            image = self.image_of(request)
            message = (
                f"no usable facts for {image.path}: it has no OCR text, manifest labels or "
                "chart data, and its measurements answer none of the requested kinds; add a "
                "manifest row for it or use a model as generator"
            )
            self.record_call(context, started, error=message)
            raise UnitError(message)
        self.record_call(context, started)
        body = {"instructions": [item.as_json() for item in items]}
        return ChatResponse(
            text=json.dumps(body, ensure_ascii=False),
            finish_reason="stop",
            model=self.spec.model,
        )

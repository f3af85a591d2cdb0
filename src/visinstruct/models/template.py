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

from visinstruct.config import ModelSpec, Role
from visinstruct.errors import ConfigError, UnitError
from visinstruct.facts import GroundedItem, compose, extract_facts
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse, ModelBackend
from visinstruct.records import KINDS, ImageRecord, Kind, Language, ModelCall

__all__ = ["TemplateBackend", "image_of", "record_offline_call"]


def image_of(request: ChatRequest, backend: str) -> ImageRecord:
    """The request's image record; offline backends cannot work without it."""
    image = request.context.get("image")
    if not isinstance(image, ImageRecord):
        raise UnitError(
            f"the {backend} backend needs the image record in the request context; "
            "it only works inside the visinstruct stages"
        )
    return image


def record_offline_call(
    backend: ModelBackend, request: ChatRequest, context: CallContext, started: float,
    error: str | None = None,
) -> None:  # fmt: skip
    """One ledger row for a call that cost nothing: zero tokens, outcome ok or error."""
    del request
    context.record(
        ModelCall(
            stage=context.stage,
            unit_key=context.unit_key,
            role=backend.role,
            model=backend.spec.model,
            endpoint=backend.endpoint,
            started_at=started,
            latency_s=round(time.time() - started, 6),
            outcome="ok" if error is None else "error",
            error=error,
        )
    )


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


class TemplateBackend(ModelBackend):
    """Generator backend that writes grounded instructions from facts, for free."""

    name: ClassVar[str] = "template"

    def __init__(self, spec: ModelSpec, role: Role):
        if role != "generator":
            raise ConfigError(
                "the template backend writes instructions only; use it for the generator "
                "role (for offline captions use backend: annotations)",
                field=f"models.{role}.backend",
            )
        super().__init__(spec, role)

    @property
    def endpoint(self) -> str:
        return "template:"

    def compose_items(self, request: ChatRequest) -> list[GroundedItem]:
        """The items (with the claims behind each answer) for ``request``.

        Public so that checks can see what each answer rests on; :meth:`chat` replies with
        exactly these items.
        """
        image = image_of(request, self.name)
        language: Language = "zh" if request.context.get("language") == "zh" else "en"
        peers = [
            extract_facts(p) for p in request.context.get("peers", ()) if isinstance(p, ImageRecord)
        ]
        facts = extract_facts(image)
        counts = _counts(request.context.get("counts"))
        return compose(facts, peers, language, counts, _seeds(request.context.get("seeds")))

    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        started = time.time()
        # Measuring pixels is CPU work: keep the event loop free for progress and Ctrl-C.
        items = await asyncio.to_thread(self.compose_items, request)
        if not items:
            image = image_of(request, self.name)
            message = (
                f"no usable facts for {image.path}: it has no OCR text, manifest labels or "
                "chart data, and its measurements answer none of the requested kinds; add a "
                "manifest row for it or use a model as generator"
            )
            record_offline_call(self, request, context, started, error=message)
            raise UnitError(message)
        record_offline_call(self, request, context, started)
        body = {"instructions": [item.as_json() for item in items]}
        return ChatResponse(
            text=json.dumps(body, ensure_ascii=False),
            finish_reason="stop",
            model=self.spec.model,
        )

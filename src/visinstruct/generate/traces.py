"""The composed item behind each stored instruction, for projects the ``template`` backend made.

An instruction row does not record which question template made it; the template backend is
deterministic, so its items are rebuilt from the very request context the stage sent
(:meth:`GenerateStage.request_context`) and matched to the stored rows by image, language,
kind and question. A row that matches no rebuilt item (edited in review, or made under other
peers) is counted as unmatched, never guessed. For any other generator there is no template
to find, and :func:`template_items` says so by returning ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from visinstruct.config import ProjectConfig
from visinstruct.facts import GroundedItem
from visinstruct.facts.figures import template_figures
from visinstruct.generate.stage import GenerateStage
from visinstruct.models.base import ChatRequest
from visinstruct.models.registry import create_backend
from visinstruct.models.template import TemplateBackend
from visinstruct.records import Instruction
from visinstruct.store import Store

__all__ = ["TraceKey", "instruction_figures", "template_items", "trace_key"]

TraceKey = tuple[str, str, str, str]


def trace_key(instruction: Instruction) -> TraceKey:
    return (instruction.image_id, instruction.language, instruction.kind, instruction.question)


def template_items(
    config: ProjectConfig, store: Store, root: Path | None = None
) -> dict[TraceKey, GroundedItem] | None:
    """(image id, language, kind, question) → the item the template backend composed for it;
    ``None`` when the project's generator is not the template backend."""
    spec = config.models.generator
    if spec is None or spec.backend != TemplateBackend.name:
        return None
    backend = create_backend(spec, "generator")
    if not isinstance(backend, TemplateBackend):
        return None
    stage = GenerateStage(config, store, backend, root=root)
    found: dict[TraceKey, GroundedItem] = {}
    for unit in stage.candidates():
        request = ChatRequest((), context=stage.request_context(unit))
        language = str(request.context["language"])
        image_id = request.context["image"].id
        for item in backend.compose_items(request):
            found[(image_id, language, item.kind, item.question)] = item
    return found


def instruction_figures(
    instructions: Iterable[Instruction], traced: dict[TraceKey, GroundedItem]
) -> dict[str, Any]:
    """:func:`~visinstruct.facts.figures.template_figures` over the instructions' items, with
    how many instructions matched no item."""
    listed = list(instructions)
    items = [traced[k] for k in map(trace_key, listed) if k in traced]
    return {**template_figures(items), "unmatched": len(listed) - len(items)}

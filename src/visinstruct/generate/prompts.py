"""Generation prompts, versioned, and the JSON shape the generator must reply in."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from visinstruct.errors import ConfigError
from visinstruct.records import KINDS, Kind, Language

__all__ = ["PROMPT_VERSIONS", "REPLY_SCHEMA", "generation_messages"]

PROMPT_VERSIONS = ("v1",)

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "instructions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": list(KINDS)},
                    "question": {"type": "string"},
                    "choices": {"type": "array", "items": {"type": "string"}},
                    "answer": {"type": "string"},
                },
                "required": ["kind", "question", "answer"],
            },
        }
    },
    "required": ["instructions"],
}

_SYSTEM = (
    "You write visual instruction-tuning data. You are given a detailed description of an "
    "image that you cannot see yourself. Write questions a person looking at the image could "
    "ask, and answer each one using only facts stated in the description. Ask about the "
    "image itself: never mention the description, a caption or a text you were given. "
    "Reply with one JSON object and nothing else, shaped as "
    '{"instructions": [{"kind": ..., "question": ..., "choices": [...], "answer": ...}]}.\n'
    "Kinds:\n"
    "- judgement: a yes/no question; answer exactly {yes} or {no}. Make about half the answers "
    "{yes} and half {no}.\n"
    "- multiple_choice: a question with exactly four distinct, plausible options in "
    '"choices" (option text only, no letters); exactly one is right; answer with its letter, '
    "A, B, C or D.\n"
    "- short_vqa: answered by one word, a number or a short phrase.\n"
    "- long_vqa: answered by a paragraph of several sentences grounded in the image.\n"
    'Leave "choices" empty except for multiple_choice.'
)

_LANGUAGE_RULE: Mapping[Language, str] = {
    "en": "Write every question, option and answer in English.",
    "zh": "所有问题、选项和答案都用简体中文书写（判断题答案只用“是”或“否”）。",
}

_YES_NO: Mapping[Language, tuple[str, str]] = {"en": ("Yes", "No"), "zh": ("是", "否")}


def generation_messages(
    version: str,
    language: Language,
    domain: str,
    caption: str,
    counts: Mapping[Kind, int],
    seeds: Mapping[Kind, Sequence[str]] | None = None,
) -> tuple[str, str]:
    """(system prompt, user prompt) asking for ``counts`` instructions of each kind."""
    if version not in PROMPT_VERSIONS:
        raise ConfigError(
            f"unknown generation prompt version {version!r}; known: {', '.join(PROMPT_VERSIONS)}",
            field="generate.prompt_version",
        )
    yes, no = _YES_NO[language]
    system = _SYSTEM.replace("{yes}", yes).replace("{no}", no) + "\n" + _LANGUAGE_RULE[language]
    wanted = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n > 0)
    parts = [
        f"Image domain: {domain.replace('_', ' ')}",
        f"Image description:\n{caption}",
        f"Write {wanted}.",
    ]
    if seeds:
        lines = []
        for kind in KINDS:
            for seed in seeds.get(kind, ()):
                lines.append(f"- [{kind}] {seed}")
        if lines:
            parts.append(
                "Example questions for this domain; write new ones close to them in meaning, "
                "filling any <placeholder> from the description:\n" + "\n".join(lines)
            )
    parts.append("Reply with the JSON object only, e.g. " + json.dumps({"instructions": []}))
    return system, "\n\n".join(parts)

"""Step (d): instructions of four kinds from captions and seed questions."""

from __future__ import annotations

from visinstruct.generate.parse import Draft, ParseResult, extract_json, parse_reply
from visinstruct.generate.prompts import PROMPT_VERSIONS, REPLY_SCHEMA, generation_messages
from visinstruct.generate.stage import GenerateStage

__all__ = [
    "PROMPT_VERSIONS",
    "REPLY_SCHEMA",
    "Draft",
    "GenerateStage",
    "ParseResult",
    "extract_json",
    "generation_messages",
    "parse_reply",
]

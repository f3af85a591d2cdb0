"""Step (e): instructions become training conversations."""

from __future__ import annotations

from visinstruct.expand.conversations import (
    IMAGE_TOKEN,
    LETTERS,
    conversations_for_image,
    human_prompt,
    single_turn,
)
from visinstruct.expand.suffixes import SUFFIXES, suffix_for

__all__ = [
    "IMAGE_TOKEN",
    "LETTERS",
    "SUFFIXES",
    "conversations_for_image",
    "human_prompt",
    "single_turn",
    "suffix_for",
]

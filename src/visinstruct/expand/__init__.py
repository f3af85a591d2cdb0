"""Step (e): instructions become training conversations."""

from __future__ import annotations

from visinstruct.expand.single import IMAGE_TOKEN, human_prompt, single_turn

__all__ = ["IMAGE_TOKEN", "human_prompt", "single_turn"]

"""Step (b): detailed captions, the ceiling on the quality of everything made from them."""

from __future__ import annotations

from visinstruct.caption.prompts import PROMPT_VERSIONS, caption_prompt
from visinstruct.caption.stage import CaptionStage

__all__ = ["PROMPT_VERSIONS", "CaptionStage", "caption_prompt"]

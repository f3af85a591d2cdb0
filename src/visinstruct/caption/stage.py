"""Step (b): a VLM writes a detailed caption for each image."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from visinstruct.caption.prompts import caption_prompt
from visinstruct.config import ProjectConfig, Role
from visinstruct.errors import UnitError
from visinstruct.executors.base import WorkUnit
from visinstruct.models.base import CallContext, ChatRequest, Message
from visinstruct.records import Caption, ImageRecord, Record
from visinstruct.stage import ModelStage

__all__ = ["CaptionStage"]


class CaptionStage(ModelStage):
    name: ClassVar[str] = "caption"
    role: ClassVar[Role] = "captioner"

    @classmethod
    def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
        c = config.caption
        return {
            "model": config.models.get(cls.role).identity(),
            "prompt_version": c.prompt_version,
            "language": c.language,
            "max_tokens": c.max_tokens,
            "temperature": c.temperature,
            "min_chars": c.min_chars,
        }

    @property
    def max_attempts(self) -> int:
        return self.config.caption.max_unit_attempts

    def candidates(self) -> Iterator[WorkUnit]:
        for image in self.store.images():
            yield WorkUnit(image.id, image)

    def count_candidates(self) -> int:
        return self.store.count_images()

    async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
        image: ImageRecord = unit.payload
        c = self.config.caption
        prompt = caption_prompt(c.prompt_version, c.language, image.domain)
        request = ChatRequest(
            messages=(Message("user", prompt, images=(Path(image.path),)),),
            max_tokens=c.max_tokens,
            temperature=c.temperature,
            context={"image": image, "domain": image.domain, "language": c.language},
        )
        reply = await self.backend.chat(request, context)
        text = reply.text.strip()
        if len(text) < c.min_chars:
            raise UnitError(
                f"caption too short ({len(text)} characters, minimum {c.min_chars})",
                raw=reply.text,
            )
        caption = Caption(
            id=Caption.make_id(image.id, self.config_hash, text),
            image_id=image.id,
            text=text,
            language=c.language,
            model=self.backend.spec.model,
            prompt_version=c.prompt_version,
            config_hash=self.config_hash,
        )
        return [caption]

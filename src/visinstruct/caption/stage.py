"""Step (b): a VLM writes a detailed caption for each image, checked by the quality gate.

Retry policy (stated here because users pay for it): a caption that fails the gate is asked
for again at once, up to ``caption.max_unit_attempts`` tries per image in one run (default 3),
each retry at a temperature raised by ``caption.retry_temperature_step`` (capped at 1.0) so a
refusal or a loop is not simply asked for again. After the last try the image is recorded as
failed with the gate's reason and the raw reply, and no caption is stored, so generation
never sees it. ``--retry-failed`` gives failed images a fresh budget in a later run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from visinstruct.caption.gate import check_caption
from visinstruct.caption.prompts import build_caption_prompt
from visinstruct.config import CaptionConfig, ProjectConfig, Role
from visinstruct.errors import UnitError
from visinstruct.executors.base import WorkUnit
from visinstruct.models.base import CallContext, ChatRequest, Message
from visinstruct.records import Caption, ImageRecord, Record
from visinstruct.stage import ModelStage, moved
from visinstruct.store import Store

__all__ = ["CaptionStage", "retry_temperature"]

_MAX_RETRY_TEMPERATURE = 1.0


def retry_temperature(config: CaptionConfig, attempt: int) -> float:
    """The temperature of try number ``attempt`` (1-based) of one caption within a run."""
    if attempt <= 1:
        return config.temperature
    raised = config.temperature + config.retry_temperature_step * (attempt - 1)
    return round(max(config.temperature, min(_MAX_RETRY_TEMPERATURE, raised)), 6)


class CaptionStage(ModelStage):
    name: ClassVar[str] = "caption"
    role: ClassVar[Role] = "captioner"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tries: dict[str, int] = {}

    @classmethod
    def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
        """The caption settings. ``model`` is None when no captioner is configured, so that
        captions can be imported into (and read from) a project that never calls a model."""
        c = config.caption
        spec = config.models.captioner
        return {
            "model": None if spec is None else spec.identity(),
            "prompt_version": c.prompt_version,
            "language": c.language,
            "max_tokens": c.max_tokens,
            "temperature": c.temperature,
            "min_chars": c.min_chars,
            "use_ocr_text": c.use_ocr_text,
            "use_prior": c.use_prior,
            "max_context_chars": c.max_context_chars,
            "retry_temperature_step": c.retry_temperature_step,
        }

    @property
    def max_attempts(self) -> int:
        return self.config.caption.max_unit_attempts

    def candidates(self) -> Iterator[WorkUnit]:
        for image in self.store.images():
            yield WorkUnit(image.id, image)

    @classmethod
    def count_units(cls, config: ProjectConfig, store: Store) -> int:
        return store.count_images()

    def request_for(self, image: ImageRecord, attempt: int = 1) -> tuple[ChatRequest, str]:
        """The request for ``image`` on try ``attempt``, and the prompt version it records
        (``v2/ocr`` etc.: the version plus the variant the image got)."""
        c = self.config.caption
        prompt = build_caption_prompt(
            c.prompt_version,
            c.language,
            image,
            use_ocr=c.use_ocr_text,
            use_prior=c.use_prior,
            max_context_chars=c.max_context_chars,
        )
        request = ChatRequest(
            messages=(Message("user", prompt.text, images=(Path(image.path),)),),
            max_tokens=c.max_tokens,
            temperature=retry_temperature(c, attempt),
            context={"image": image, "domain": image.domain, "language": c.language},
        )
        if c.prompt_version == "v1":  # v1 had one variant; keep its records as they were
            return request, c.prompt_version
        return request, f"{c.prompt_version}/{prompt.variant}"

    def files_of(self, payload: Any) -> Sequence[ImageRecord]:
        return (payload,)  # the planned payload is the image record: nothing else is read

    def relocated(self, payload: Any, paths: Mapping[str, str]) -> Any:
        return moved(payload, paths)

    async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
        image: ImageRecord = unit.payload
        c = self.config.caption
        attempt = self._tries[unit.key] = self._tries.get(unit.key, 0) + 1
        request, prompt_version = self.request_for(image, attempt)
        reply = await self.backend.chat(request, context)
        failure = check_caption(
            reply.text,
            min_chars=c.min_chars,
            language=c.language,
            finish_reason=reply.finish_reason,
        )
        if failure is not None:
            raise UnitError(str(failure), raw=reply.text)
        self._tries.pop(unit.key, None)
        text = reply.text.strip()
        caption = Caption(
            id=Caption.make_id(image.id, self.config_hash, text),
            image_id=image.id,
            text=text,
            language=c.language,
            model=self.backend.spec.model,
            prompt_version=prompt_version,
            config_hash=self.config_hash,
            source=self.backend.caption_source,
        )
        return [caption]

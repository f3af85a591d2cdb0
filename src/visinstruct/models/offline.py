"""What the offline backends (``template``, ``annotations``) share: they serve one role, read
the image record the stage put in the request context, and log zero-cost calls."""

from __future__ import annotations

import time
from typing import ClassVar

from visinstruct.config import ModelSpec, Role
from visinstruct.errors import ConfigError, UnitError
from visinstruct.models.base import CallContext, ChatRequest, ModelBackend
from visinstruct.records import ImageRecord, ModelCall

__all__ = ["OfflineBackend"]


class OfflineBackend(ModelBackend):
    """Base of backends that answer from data already in the store, with no model."""

    serves: ClassVar[Role]
    alternative: ClassVar[str]
    """What to use for the other roles, for the error message."""
    reads_context_files: ClassVar[bool] = True  # facts are measured from the pixels

    def __init__(self, spec: ModelSpec, role: Role):
        if role != self.serves:
            raise ConfigError(
                f"the {self.name} backend serves the {self.serves} role only ({self.alternative})",
                field=f"models.{role}.backend",
            )
        super().__init__(spec, role)

    @property
    def endpoint(self) -> str:
        return f"{self.name}:"

    def image_of(self, request: ChatRequest) -> ImageRecord:
        """The request's image record; offline backends cannot work without it."""
        image = request.context.get("image")
        if not isinstance(image, ImageRecord):
            raise UnitError(
                f"the {self.name} backend needs the image record in the request context; "
                "it only works inside the visinstruct stages"
            )
        return image

    def record_call(self, context: CallContext, started: float, error: str | None = None) -> None:
        """One ledger row for a call that cost nothing: zero tokens, outcome ok or error."""
        context.record(
            ModelCall(
                stage=context.stage,
                unit_key=context.unit_key,
                role=self.role,
                model=self.spec.model,
                endpoint=self.endpoint,
                started_at=started,
                latency_s=round(time.time() - started, 6),
                outcome="ok" if error is None else "error",
                error=error,
            )
        )

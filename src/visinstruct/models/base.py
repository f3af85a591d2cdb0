"""What a model backend is: the one interface the stages call.

A backend turns a :class:`ChatRequest` into a :class:`ChatResponse`. It reports every HTTP
attempt (successes, retries and failures alike) to the :class:`CallContext`'s recorder, which
the caller wires to the store's call ledger. Stages never branch on a backend's type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from visinstruct.config import ModelSpec, Role
from visinstruct.records import CaptionSource, ModelCall

__all__ = [
    "CallContext",
    "ChatRequest",
    "ChatResponse",
    "Message",
    "ModelBackend",
]


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    text: str
    images: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    max_tokens: int = 1024
    temperature: float = 0.2
    json_schema: dict[str, Any] | None = None
    """When set, the reply must be JSON; the backend asks for it as its ``json_mode`` allows."""
    schema_name: str = "reply"
    logprobs: bool = False
    """Ask for the log-probabilities of the reply's tokens (and their top alternatives);
    backends that cannot give them answer without, and ``ChatResponse.top_logprobs`` is None."""
    context: Mapping[str, Any] = field(default_factory=dict)
    """Structured inputs behind the prompt, for backends that work from data, not text.

    HTTP backends ignore it. Keys the stages set: ``image`` (ImageRecord), ``domain``,
    ``language``; for generation also ``caption`` (Caption), ``counts`` (kind → n), ``seeds``
    (kind → seed questions) and ``peers`` (other ImageRecords of the project, chosen
    deterministically per unit, e.g. for distractors).
    """


@dataclass(frozen=True)
class ChatResponse:
    text: str
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    image_tokens: int = 0
    cost_usd: float = 0.0
    model: str = ""
    top_logprobs: tuple[Mapping[str, float], ...] | None = None
    """Per reply token, its top alternatives (token text -> log-probability, the chosen token
    included); None when not asked for or not returned."""


@dataclass
class CallContext:
    """Who is calling, and where each attempt is recorded."""

    stage: str
    unit_key: str
    record: Callable[[ModelCall], None] = field(default=lambda call: None)


class ModelBackend(ABC):
    """Base of every backend. Subclasses set ``name`` and implement :meth:`chat`."""

    name: ClassVar[str]
    output_of: ClassVar[str | None] = None
    """The backend whose output this one reproduces, when it is only another way to make the
    same calls (``openai-batch`` sends ``openai``'s requests through the Batch API). Stage
    identity uses that name, so switching transport reruns nothing that is done."""
    caption_source: ClassVar[CaptionSource] = "model"
    """How captions this backend writes are marked: ``model`` for a model's own words,
    ``annotations`` for text assembled from labels and measurements."""
    reads_context_files: ClassVar[bool] = False
    """Whether the backend reads the files of the images in a request's context (the image
    and its peers), not only those attached to messages: a remote worker needs them sent."""
    keeps_state_in_store: ClassVar[bool] = False
    """Whether the backend keeps state of its own in the project store (see
    :meth:`bind_store`); its stages then run where the store is, never on remote workers."""

    def __init__(self, spec: ModelSpec, role: Role):
        self.spec = spec
        self.role = role

    @property
    def concurrency(self) -> int:
        """How many calls the executor may keep in flight against this backend."""
        return self.spec.concurrency

    @property
    @abstractmethod
    def endpoint(self) -> str:
        """Where calls go, for messages and the ledger. Never holds a secret."""

    @abstractmethod
    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        """Send ``request``; retry what is transient; raise ``ModelError`` subclasses."""

    def bind_store(self, store: Any) -> None:  # noqa: B027 - optional hook
        """Called by the stage with the project store before any call, for backends that
        keep state of their own there (``openai-batch`` journals its in-flight batches)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

"""The record vocabulary every stage speaks.

Records are immutable pydantic models. Ids are hashes of content and lineage (what a record was
made from, by which settings): the same run always maps to the same id, which is what lets a
resumed run insert a record a second time without duplicating it, while a run under other
settings writes rows of its own.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "KINDS",
    "LANGUAGES",
    "Caption",
    "CaptionSource",
    "CheckResult",
    "Conversation",
    "ImageRecord",
    "Instruction",
    "Kind",
    "Language",
    "ModelCall",
    "OcrLine",
    "Provenance",
    "Record",
    "RejectedItem",
    "Rejection",
    "Turn",
    "content_id",
]

Kind = Literal["judgement", "multiple_choice", "long_vqa", "short_vqa"]
Language = Literal["en", "zh"]
KINDS: tuple[Kind, ...] = ("judgement", "multiple_choice", "long_vqa", "short_vqa")
LANGUAGES: tuple[Language, ...] = ("en", "zh")

CaptionSource = Literal["model", "annotations", "imported"]
CallOutcome = Literal["ok", "retry", "error", "fatal"]


def content_id(*parts: Any) -> str:
    """A stable 32-hex-digit id for ``parts`` (any JSON-serialisable values)."""
    canonical = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OcrLine(Record):
    text: str
    box: tuple[int, int, int, int] | None = None
    confidence: float = 1.0


class ImageRecord(Record):
    """An accepted image. ``id`` is the sha256 of the file's bytes."""

    id: str
    path: str
    domain: str
    width: int
    height: int
    format: str
    bytes: int
    phash: str
    source: str = "folder"
    prior: dict[str, Any] = Field(default_factory=dict)
    ocr: list[OcrLine] = Field(default_factory=list)


class Rejection(Record):
    """An input that did not become an image, and why."""

    path: str
    reason: str


class Caption(Record):
    id: str
    image_id: str
    text: str
    language: Language
    model: str
    prompt_version: str
    config_hash: str
    source: CaptionSource = "model"

    @staticmethod
    def make_id(image_id: str, config_hash: str, text: str) -> str:
        return content_id("caption", image_id, config_hash, text)


class Provenance(Record):
    model: str
    prompt_version: str
    config_hash: str
    caption_id: str | None = None
    seed_questions: list[str] = Field(default_factory=list)


class Instruction(Record):
    id: str
    image_id: str
    domain: str
    kind: Kind
    language: Language
    question: str
    choices: list[str] = Field(default_factory=list)
    answer: str
    provenance: Provenance
    checks: dict[str, Any] = Field(default_factory=dict)
    review_status: Literal["unreviewed", "accepted", "edited", "rejected", "flagged"] = "unreviewed"
    revision: int = 0
    """The store's current revision of this item (0: as generated); a change made on an older
    revision is refused rather than applied over a newer one."""

    @staticmethod
    def make_id(
        image_id: str,
        kind: str,
        language: str,
        question: str,
        choices: list[str],
        answer: str,
        *,
        caption_id: str | None,
        config_hash: str,
    ) -> str:
        """The id covers the content *and* its lineage: the caption it was made from and the
        settings hash of the run that made it. A rerun under new settings makes new rows even
        where a text repeats; the same run repeated makes the same ids (exactly-once resume)."""
        return content_id(
            "instruction", image_id, kind, language, question, choices, answer,
            caption_id, config_hash,
        )  # fmt: skip


class CheckResult(Record):
    """One verification check's verdict on one instruction, kept as ``checks[name]`` on it.

    ``passed`` is None when the check is switched off: the verdict (and what it cost) is kept,
    but it no longer decides whether the instruction is exported.
    """

    instruction_id: str
    name: str
    passed: bool | None
    score: float
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)

    def as_check(self) -> dict[str, Any]:
        """The value stored under ``Instruction.checks[name]``."""
        return {**self.details, "passed": self.passed, "score": self.score, "reason": self.reason}


class RejectedItem(Record):
    """Part of a model reply that a stage could not use, kept with its reason for inspection."""

    reason: str
    content: str
    kind: str | None = None


class Turn(Record):
    role: Literal["human", "gpt"]
    text: str


class Conversation(Record):
    """One training sample: turns about one image, built from one or more instructions."""

    id: str
    image_id: str
    image_path: str
    instruction_ids: list[str]
    turns: list[Turn]


class ModelCall(Record):
    """One HTTP attempt against a model endpoint, as the ledger keeps it."""

    stage: str
    unit_key: str
    role: str
    model: str
    endpoint: str
    started_at: float
    latency_s: float
    outcome: CallOutcome
    http_status: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    image_tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    raw: str | None = None

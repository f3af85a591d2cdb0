"""The model checks: one stage per check, one unit per instruction, the ``verifier`` role.

- ``verify_answer``: a VLM sees the image, the question and the proposed answer; the score is
  P(Yes) from the verdict token's log-probabilities when served, else 1 or 0.
- ``verify_blind``: for judgement and multiple choice, the VLM answers without being shown the
  proposed answer; the score is the probability it gives the proposed answer (by option
  text, so a later reordering of the options does not invalidate it).
- ``verify_caption``: a text model checks the answer against the caption and OCR text.

Units. The key is ``<instruction id>:<content fingerprint>``. The fingerprint hashes question,
kind, language, the set of options and the answer's text (not its letter): an instruction a
reviewer edits is checked again, one whose options were only reordered is not. Each check is
its own stage so that switching one on or off never repays the others. The stage settings
(model, prompt version, max tokens, log-probabilities) key the units; thresholds do not —
verdicts keep their scores and ``passed`` is re-judged from them on every ``verify``.

Instructions a local or duplicate check flagged are not sent (``verify.skip_flagged``): they
are dropped anyway, and calls cost money.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from visinstruct.config import ProjectConfig, Role, VerifyConfig
from visinstruct.errors import ConfigError, FatalModelError, ModelError, UnitError
from visinstruct.executors.base import WorkUnit
from visinstruct.generate.validate import LETTERS
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse, Message
from visinstruct.records import CheckResult, ImageRecord, Instruction, Record, content_id
from visinstruct.scope import DatasetScope, dataset_scope
from visinstruct.stage import ModelStage, moved
from visinstruct.store import Store
from visinstruct.verify.local import LOCAL_CHECKS, answer_text
from visinstruct.verify.prompts import (
    PROMPT_VERSIONS,
    SYSTEM,
    answer_prompt,
    blind_prompt,
    caption_prompt,
    letter_scores,
    yes_score,
)
from visinstruct.verify.text import tokens, yes_no_of

__all__ = [
    "MODEL_CHECKS",
    "PRE_MODEL_CHECKS",
    "AnswerStage",
    "BlindStage",
    "CaptionCheckStage",
    "judge_model_check",
    "scope_of",
    "unit_key",
]

PAGE = 500
PRE_MODEL_CHECKS: tuple[str, ...] = (
    *LOCAL_CHECKS,
    "duplicate",
    "contradiction",
    "duplicate_across",
)


def scope_of(config: ProjectConfig) -> DatasetScope:
    """The dataset verification reads: the project's scope, without imported instructions
    when ``verify.include_imports`` is off."""
    scope = dataset_scope(config)
    if config.verify.include_imports:
        return scope
    return dataclasses.replace(scope, include_imports=False)


def unit_key(ins: Instruction) -> str:
    fingerprint = content_id(
        ins.kind, ins.language, ins.question, sorted(ins.choices), answer_text(ins)
    )
    return f"{ins.id}:{fingerprint[:12]}"


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """A prepared unit: the instruction, its image record and (for the caption check) the
    caption texts it is checked against, read from the store on the driver."""

    ins: Instruction
    image: ImageRecord
    captions: tuple[str, ...] = ()


class _ModelCheckStage(ModelStage):
    """A check that asks the verifier one question per instruction."""

    role: ClassVar[Role] = "verifier"
    check: ClassVar[str]
    switch: ClassVar[str]
    threshold: ClassVar[str]
    kinds: ClassVar[tuple[str, ...] | None] = None
    shows_image: ClassVar[bool] = True
    reads_captions: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._logprobs = self.config.verify.use_logprobs

    @classmethod
    def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
        v = config.verify
        if v.prompt_version not in PROMPT_VERSIONS:
            raise ConfigError(
                f"unknown prompt version {v.prompt_version!r}; choose from "
                f"{', '.join(PROMPT_VERSIONS)}",
                field="verify.prompt_version",
            )
        return {
            "model": config.models.get(cls.role).identity(),
            "check": cls.check,
            "prompt_version": v.prompt_version,
            "max_tokens": v.max_tokens,
            "logprobs": v.use_logprobs,
        }

    @classmethod
    def enabled(cls, config: VerifyConfig) -> bool:
        return bool(getattr(config, cls.switch))

    @property
    def max_attempts(self) -> int:
        return self.config.verify.max_unit_attempts

    @classmethod
    def _skip(cls, config: ProjectConfig) -> tuple[str, ...]:
        return PRE_MODEL_CHECKS if config.verify.skip_flagged else ()

    def candidates(self) -> Iterator[WorkUnit]:
        scope = scope_of(self.config)
        after = ""
        while True:
            page = self.store.unflagged_page(
                scope, failed_checks=self._skip(self.config), after_id=after, limit=PAGE,
                kinds=self.kinds,
            )  # fmt: skip
            for ins in page:
                yield WorkUnit(unit_key(ins), ins)
            if len(page) < PAGE:
                return
            after = page[-1].id

    @classmethod
    def count_units(cls, config: ProjectConfig, store: Store) -> int:
        return store.count_unflagged(
            scope_of(config), failed_checks=cls._skip(config), kinds=cls.kinds
        )

    async def ask(self, text: str, context: CallContext, image: Path | None = None) -> ChatResponse:
        """One question to the verifier. A server that refuses log-probabilities (HTTP 400
        naming them) is asked again without, and not asked for them again this run."""
        request = ChatRequest(
            messages=(
                Message("system", SYSTEM),
                Message("user", text, images=(image,) if image else ()),
            ),
            max_tokens=self.config.verify.max_tokens,
            temperature=0.0,
            logprobs=self._logprobs,
        )
        try:
            return await self.backend.chat(request, context)
        except FatalModelError:
            raise
        except ModelError as exc:
            if not (request.logprobs and exc.status == 400 and "logprob" in str(exc).lower()):
                raise
            self._logprobs = False
            plain = ChatRequest(request.messages, request.max_tokens, request.temperature)
            return await self.backend.chat(plain, context)

    def prepare(self, unit: WorkUnit) -> WorkUnit:
        ins: Instruction = unit.payload
        captions: tuple[str, ...] = ()
        if self.reads_captions:
            captions = tuple(self.store.caption_texts(ins.image_id, ins.provenance.caption_id))
        inputs = _Inputs(ins, self.store.image(ins.image_id), captions)
        return WorkUnit(unit.key, inputs, unit.attempts)

    def files_of(self, payload: Any) -> Sequence[ImageRecord]:
        inputs: _Inputs = payload
        return (inputs.image,) if self.shows_image else ()

    def relocated(self, payload: Any, paths: Mapping[str, str]) -> Any:
        inputs: _Inputs = payload
        return dataclasses.replace(inputs, image=moved(inputs.image, paths))

    @staticmethod
    def image_path(inputs: _Inputs) -> Path:
        path = Path(inputs.image.path)
        if not path.is_file():
            raise UnitError(
                f"{path}: the image of instruction {inputs.ins.id} is gone; collect again"
            )
        return path

    def result(self, ins: Instruction, score: float, **details: Any) -> CheckResult:
        v = self.config.verify
        passed = score >= getattr(v, self.threshold)
        reason = details.pop("reason")
        return CheckResult(
            instruction_id=ins.id, name=self.check, passed=passed, score=round(score, 4),
            reason=reason, details={**details, "model": self.backend.spec.model},
        )  # fmt: skip

    async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
        result = await self.judge(unit.payload, context)
        return [] if result is None else [result]

    @abstractmethod
    async def judge(self, inputs: _Inputs, context: CallContext) -> CheckResult | None: ...


class AnswerStage(_ModelCheckStage):
    name: ClassVar[str] = "verify_answer"
    check: ClassVar[str] = "answer_grounded"
    switch: ClassVar[str] = "answer_check"
    threshold: ClassVar[str] = "answer_threshold"

    async def judge(self, inputs: _Inputs, context: CallContext) -> CheckResult | None:
        ins = inputs.ins
        reply = await self.ask(answer_prompt(ins), context, self.image_path(inputs))
        verdict, p_yes, scored = yes_score(reply.text, reply.top_logprobs, self._logprobs)
        how = "P(correct)" if scored else "verdict"
        reason = f"the verifier judged the answer {'correct' if verdict == 'yes' else 'wrong'}"
        return self.result(ins, p_yes, reason=f"{reason} ({how} {p_yes:.2f})", logprobs=scored)


class BlindStage(_ModelCheckStage):
    name: ClassVar[str] = "verify_blind"
    check: ClassVar[str] = "blind_agreement"
    switch: ClassVar[str] = "blind_check"
    threshold: ClassVar[str] = "blind_threshold"
    kinds: ClassVar[tuple[str, ...] | None] = ("judgement", "multiple_choice")

    async def judge(self, inputs: _Inputs, context: CallContext) -> CheckResult | None:
        ins = inputs.ins
        reply = await self.ask(blind_prompt(ins), context, self.image_path(inputs))
        if ins.kind == "judgement":
            verdict, p_yes, scored = yes_score(reply.text, reply.top_logprobs, self._logprobs)
            proposed = yes_no_of(ins.answer) or "yes"
            p = p_yes if proposed == "yes" else 1 - p_yes
            said = verdict.capitalize()
        else:
            letter, probs, scored = letter_scores(
                reply.text, reply.top_logprobs, len(ins.choices), self._logprobs
            )
            mine = set(tokens(answer_text(ins)))
            p = sum(
                pr for L, pr in probs.items() if set(tokens(ins.choices[LETTERS.index(L)])) == mine
            )
            said = ins.choices[LETTERS.index(letter)]
        agree = "agrees with" if p >= 0.5 else "differs from"
        reason = f"answering blind, the verifier said {said!r}, which {agree} the answer"
        return self.result(ins, p, reason=reason, blind_answer=said, logprobs=scored)


class CaptionCheckStage(_ModelCheckStage):
    name: ClassVar[str] = "verify_caption"
    check: ClassVar[str] = "caption_consistency"
    switch: ClassVar[str] = "caption_check"
    threshold: ClassVar[str] = "caption_threshold"
    shows_image: ClassVar[bool] = False
    reads_captions: ClassVar[bool] = True

    async def judge(self, inputs: _Inputs, context: CallContext) -> CheckResult | None:
        ins, captions = inputs.ins, list(inputs.captions)
        ocr = "\n".join(line.text for line in inputs.image.ocr)
        if not captions and not ocr.strip():
            return None  # nothing to be consistent with; the image checks still apply
        reply = await self.ask(caption_prompt(ins, captions, ocr), context)
        verdict, p_yes, scored = yes_score(reply.text, reply.top_logprobs, self._logprobs)
        said = "supported by" if verdict == "yes" else "not supported by"
        reason = f"the answer is {said} the caption and OCR text (P {p_yes:.2f})"
        return self.result(ins, p_yes, reason=reason, logprobs=scored)


MODEL_CHECKS: dict[str, type[_ModelCheckStage]] = {
    s.check: s for s in (AnswerStage, BlindStage, CaptionCheckStage)
}
"""check name → its stage."""


def judge_model_check(name: str, result: dict[str, Any], config: VerifyConfig) -> bool | None:
    """``passed`` for a stored model verdict under the current config: None when the check is
    switched off (the verdict is kept), else its score against the threshold."""
    stage = MODEL_CHECKS[name]
    if not stage.enabled(config):
        return None
    return float(result.get("score", 0.0)) >= float(getattr(config, stage.threshold))

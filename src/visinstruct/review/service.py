"""Review actions on instructions: accept, edit, reject, flag.

Every action goes through :meth:`ReviewService.apply`, which validates an edit with the same
checks generation uses (an edited multiple-choice item still has four distinct options and an
A-D answer; a judgement answer is still Yes/No or 是/否), keeps the instruction id, and writes
the new row, the audit event (before, after, seconds spent) and the reviewer's decision in one
transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

from visinstruct.config import ProjectConfig
from visinstruct.errors import InputError
from visinstruct.generate.parse import RawItem
from visinstruct.generate.validate import ItemProblem, Rules, check_item
from visinstruct.records import Instruction
from visinstruct.review.auth import Reviewer
from visinstruct.store import Store

__all__ = [
    "ACTIONS",
    "STATUS_OF",
    "Action",
    "Edit",
    "ReviewProblem",
    "ReviewService",
    "UnknownInstruction",
    "snapshot",
    "validated_edit",
]

Action = Literal["accept", "edit", "reject", "flag"]
ACTIONS: tuple[Action, ...] = ("accept", "edit", "reject", "flag")
STATUS_OF: dict[Action, str] = {
    "accept": "accepted",
    "edit": "edited",
    "reject": "rejected",
    "flag": "flagged",
}
_MAX_REASON = 500
_MAX_TEXT = 20_000
# Which edit field a validator's complaint is about, so the page can point at it.
_FIELD_OF_CODE = {
    "empty_question": "question",
    "question_ending": "question",
    "leakage": "question",
    "language_mismatch": "question",
    "unfilled_placeholder": "question",
    "mc_option_count": "choices",
    "mc_empty_option": "choices",
    "mc_duplicate_options": "choices",
}


class ReviewProblem(InputError):
    """A review action that cannot be applied as sent; ``field`` names the part to fix."""

    def __init__(self, message: str, *, code: str, field: str | None = None):
        self.code = code
        self.field = field
        super().__init__(message)


class UnknownInstruction(InputError):
    """No instruction has the id a request named."""


@dataclass(frozen=True)
class Edit:
    """New content for an instruction, as a reviewer typed it."""

    question: str
    answer: str
    choices: tuple[str, ...] = ()


def snapshot(instruction: Instruction) -> dict[str, Any]:
    """What the audit trail keeps of an instruction before and after an action."""
    return {
        "question": instruction.question,
        "choices": list(instruction.choices),
        "answer": instruction.answer,
        "review_status": instruction.review_status,
    }


def _edit_rules(config: ProjectConfig) -> Rules:
    # A reviewer's wording is never a "copy of a seed": only generation samples seeds.
    return replace(Rules.of(config.generate), reject_seed_copies=False)


def validated_edit(instruction: Instruction, edit: Edit, rules: Rules) -> Instruction:
    """``instruction`` with the edited content, normalised as generation would have it
    (MC answer as a letter, judgement as Yes/No or 是/否); same id, kind and language."""
    if any(len(t) > _MAX_TEXT for t in (edit.question, edit.answer, *edit.choices)):
        raise ReviewProblem(f"a field is longer than {_MAX_TEXT} characters", code="too_long")
    is_mc = instruction.kind == "multiple_choice"
    item = RawItem(
        question=edit.question.strip(),
        answer=edit.answer.strip(),
        choices=tuple(c.strip() for c in edit.choices) if is_mc else None,
        kind=instruction.kind,
    )
    try:
        draft = check_item(item, instruction.language, rules, expected=instruction.kind)
    except ItemProblem as problem:
        field = _FIELD_OF_CODE.get(problem.code, "answer")
        raise ReviewProblem(str(problem), code=problem.code, field=field) from problem
    return instruction.model_copy(
        update={"question": draft.question, "answer": draft.answer, "choices": list(draft.choices)}
    )


class ReviewService:
    """Review actions against one project store."""

    def __init__(self, store: Store, config: ProjectConfig):
        self.store = store
        self.config = config
        self.rules = _edit_rules(config)

    def apply(
        self,
        reviewer: Reviewer,
        instruction_id: str,
        action: str,
        *,
        edit: Edit | None = None,
        reason: str | None = None,
        seconds: float = 0.0,
    ) -> Instruction:
        """Apply one action and return the instruction as stored afterwards."""
        if action not in STATUS_OF:
            raise ReviewProblem(
                f"unknown action {action!r}; use one of {', '.join(ACTIONS)}", code="action"
            )
        before = self.store.instruction(instruction_id)
        if before is None:
            raise UnknownInstruction(f"no instruction with id {instruction_id!r}")
        reason = (reason or "").strip() or None
        if reason is not None and len(reason) > _MAX_REASON:
            raise ReviewProblem(
                f"the reason is longer than {_MAX_REASON} characters", code="reason", field="reason"
            )
        if action == "reject" and reason is None:
            raise ReviewProblem("say why it is rejected", code="reason", field="reason")
        after = before
        if action == "edit":
            if edit is None:
                raise ReviewProblem("an edit needs the new content", code="edit")
            after = validated_edit(before, edit, self.rules)
            if snapshot(after) == snapshot(before):
                action = "accept"  # saved unchanged: what the reviewer did is accept it
        after = after.model_copy(update={"review_status": STATUS_OF[action]})  # type: ignore[index]
        spent = float(seconds) if math.isfinite(seconds) else 0.0
        spent = min(max(spent, 0.0), self.config.review.max_seconds_per_action)
        self.store.record_review(
            after, reviewer.name, action, reason, (snapshot(before), snapshot(after)), spent
        )
        stored = self.store.instruction(instruction_id)
        assert stored is not None  # recorded in the transaction just committed
        return stored

"""Review actions on instructions: accept, edit, reject, flag, and undo.

Every action goes through :meth:`ReviewService.decide` (or :meth:`ReviewService.undo`), which
validates an edit with the same checks generation uses (an edited multiple-choice item still
has four distinct options and an A-D answer; a judgement answer is still Yes/No or 是/否),
keeps the instruction id, and writes the new row, the audit event (before, after, seconds
spent, the revision it was made on) and the reviewer's decision in one transaction.

An action names the revision it was made on. One made on an older revision raises
:class:`StaleRevision` carrying the newer version, so nobody's work is silently overwritten;
the same reviewer's same action repeated on the same revision (a double key press) and a
decision the reviewer already made are no-ops, neither written nor timed twice.
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
    "NothingToUndo",
    "Outcome",
    "ReviewProblem",
    "ReviewService",
    "StaleRevision",
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


class StaleRevision(InputError):
    """An action made on a revision that is no longer the instruction's current one."""

    def __init__(self, current: Instruction, revision: str):
        self.current = current
        self.revision = revision
        super().__init__(
            "this item was changed (by another reviewer or in another tab) after you opened "
            "it; the newer version is shown: check it and decide again"
        )


class NothingToUndo(ReviewProblem):
    """The latest action on an instruction is not the reviewer's own to take back."""


@dataclass(frozen=True)
class Outcome:
    """An instruction after an action, its revision now, and whether anything was written."""

    instruction: Instruction
    revision: str
    saved: bool


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

    def _current(self, instruction_id: str) -> Instruction:
        found = self.store.instruction(instruction_id)
        if found is None:
            raise UnknownInstruction(f"no instruction with id {instruction_id!r}")
        return found

    def _outcome(self, instruction_id: str, result: tuple[str, str]) -> Outcome:
        outcome, revision = result
        now = self._current(instruction_id)
        if outcome == "stale":
            raise StaleRevision(now, revision)
        if outcome == "nothing":
            raise NothingToUndo(
                "nothing of yours to undo on this item: its latest change is not your action",
                code="undo",
            )
        return Outcome(now, revision, saved=outcome == "saved")

    def _spent(self, seconds: float) -> float:
        spent = float(seconds) if math.isfinite(seconds) else 0.0
        return min(max(spent, 0.0), self.config.review.max_seconds_per_action)

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
        """Apply one action on whatever is current (for scripts that just read it) and
        return the instruction as stored afterwards."""
        outcome = self.decide(
            reviewer, instruction_id, action, edit=edit, reason=reason, seconds=seconds
        )
        return outcome.instruction

    def decide(
        self,
        reviewer: Reviewer,
        instruction_id: str,
        action: str,
        *,
        revision: str | None = None,
        edit: Edit | None = None,
        reason: str | None = None,
        seconds: float = 0.0,
    ) -> Outcome:
        """Apply one action made on ``revision`` (None: on whatever is current)."""
        if action not in STATUS_OF:
            raise ReviewProblem(
                f"unknown action {action!r}; use one of {', '.join(ACTIONS)} or undo",
                code="action",
            )
        before = self._current(instruction_id)
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
        result = self.store.record_review(
            after, reviewer.name, action, reason, (snapshot(before), snapshot(after)),
            self._spent(seconds), revision,
        )  # fmt: skip
        return self._outcome(instruction_id, result)

    def undo(
        self, reviewer: Reviewer, instruction_id: str, revision: str, *, seconds: float = 0.0
    ) -> Outcome:
        """Take back the reviewer's latest action on an instruction (a new revision that
        restores the one before it; the history keeps both)."""
        self._current(instruction_id)
        result = self.store.undo_review(
            instruction_id, reviewer.name, revision, self._spent(seconds)
        )
        return self._outcome(instruction_id, result)

"""``verify`` from end to end: local checks, duplicates, model checks, balance, report.

The order saves money and keeps balance honest. Local checks and duplicates come first (no
cost), so the model checks skip what is dropped anyway; balance comes last, over what every
other check kept, so the exported set is what ends up balanced. Every pass but the model
checks is recomputed on each run (cheap, deterministic, and only changed verdicts are
written); the model checks resume per unit like every model stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from visinstruct.config import ProjectConfig
from visinstruct.executors.base import NullProgress, Progress, StageSummary
from visinstruct.generate.validate import LETTERS
from visinstruct.records import CheckResult, Instruction
from visinstruct.stage import ModelStage
from visinstruct.store import Store
from visinstruct.verify.balance import (
    ChoiceItem,
    JudgementItem,
    plan_choice_moves,
    plan_yes_no,
    swap_to,
)
from visinstruct.verify.dedup import AcrossImages, contradictions, within_image
from visinstruct.verify.local import ImageContext, local_results, self_referencing
from visinstruct.verify.report import build_report
from visinstruct.verify.stage import MODEL_CHECKS, judge_model_check, scope_of
from visinstruct.verify.text import is_yes

__all__ = ["BALANCE_CHECKS", "Verifier", "flagged_by", "runs_in_run"]

BALANCE_CHECKS = ("mc_balance", "yes_no_balance")
_FLUSH = 2000
_IMAGE_BATCH = 200
StageRunner = Callable[[type[ModelStage]], StageSummary]


def flagged_by(checks: dict[str, Any], ignore: Iterable[str] = ()) -> list[str]:
    """The checks that failed ``checks`` (the convention: ``checks[name]["passed"] is False``)."""
    skip = set(ignore)
    return [
        name
        for name, r in checks.items()
        if name not in skip and isinstance(r, dict) and r.get("passed") is False
    ]


@dataclass
class _Writes:
    """Verdict writes batched into few transactions; unchanged verdicts are not rewritten."""

    store: Store
    pending: list[CheckResult] = field(default_factory=list)
    written: int = 0

    def sync(self, ins: Instruction, decided: dict[str, CheckResult | None]) -> None:
        """Make ``ins``'s verdicts for the names in ``decided`` what ``decided`` says (None:
        no verdict any more)."""
        stale = [n for n, r in decided.items() if r is None and n in ins.checks]
        if stale:
            self.flush()
            self.store.remove_checks(ins.id, stale)
        for result in decided.values():
            if result is not None and ins.checks.get(result.name) != result.as_check():
                self.pending.append(result)
        if len(self.pending) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.set_checks(self.pending)
            self.written += len(self.pending)
            self.pending = []


@dataclass
class Verifier:
    """One ``verify`` over a project's instructions. ``run_stage`` runs a model stage (None
    when no verifier model is configured: the model checks are skipped, and said so)."""

    store: Store
    config: ProjectConfig
    run_stage: StageRunner | None = None
    progress: Progress = field(default_factory=NullProgress)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.v = self.config.verify
        self.scope = scope_of(self.config)
        self.writes = _Writes(self.store)

    def _scoped(self, image_ids: list[str]) -> Iterator[tuple[str, list[Instruction]]]:
        """(image id, its instructions in scope), fetched a batch of images at a time."""
        for start in range(0, len(image_ids), _IMAGE_BATCH):
            batch = self.store.scoped_image_instructions(
                image_ids[start : start + _IMAGE_BATCH], self.scope
            )
            yield from batch.items()

    def run(self) -> dict[str, Any]:
        image_ids = self.store.scope_image_ids(self.scope)
        self._local_pass(image_ids)
        stages = self._model_pass()
        balance = self._balance_pass(image_ids)
        self.writes.flush()
        instructions = self.store.instructions(self.scope)
        return build_report(instructions, self.config, stages, balance, self.notes)

    # -- pass 1: local checks and duplicates --------------------------------------------------

    def _local_pass(self, image_ids: list[str]) -> None:
        across = AcrossImages(self.v.sketch_size, self.v.across_min_words, self.v.across_similarity)
        had_across: set[str] = set()
        self.progress.stage_started("verify_local", len(image_ids), 0)
        for image_id, instructions in self._scoped(image_ids):
            first_caption = next(
                (i.provenance.caption_id for i in instructions if i.provenance.caption_id), None
            )
            ctx = ImageContext(
                self.store.image(image_id),
                tuple(self.store.caption_texts(image_id, first_caption)[:1]),
            )
            local = {ins.id: local_results(ins, ctx, self.v) for ins in instructions}
            failed = {
                i for i, res in local.items() if any(r and r.passed is False for r in res.values())
            }
            dups = (
                within_image(instructions, failed, self.v.duplicate_similarity)
                if self.v.duplicate_check
                else {}
            )
            conflicts = (
                contradictions(instructions, self.v.contradiction_similarity)
                if self.v.contradiction_check
                else {}
            )
            for ins in instructions:
                decided: dict[str, CheckResult | None] = {
                    **local[ins.id],
                    "duplicate": dups.get(ins.id),
                    "contradiction": conflicts.get(ins.id),
                }
                self.writes.sync(ins, decided)
                if "duplicate_across" in ins.checks:
                    had_across.add(ins.id)
                pair = (dups.get(ins.id), conflicts.get(ins.id))
                if self.v.across_images_check:
                    across.add(ins, ins.id in failed or any(r and r.passed is False for r in pair))
            self.progress.unit_finished("verify_local", True)
        self.writes.flush()
        self._across(across, had_across)
        self.progress.stage_finished("verify_local")

    def _across(self, across: AcrossImages, had: set[str]) -> None:
        decided: dict[str, CheckResult | None] = {id_: None for id_ in had}
        if self.v.across_images_check:
            decided.update({r.instruction_id: r for r in across.results()})
        ids = sorted(decided)
        for start in range(0, len(ids), 1000):
            for ins in self.store.instructions_by_id(ids[start : start + 1000]):
                self.writes.sync(ins, {"duplicate_across": decided[ins.id]})
        self.writes.flush()

    # -- pass 2: model checks -----------------------------------------------------------------

    def _model_pass(self) -> dict[str, dict[str, Any]]:
        stages: dict[str, dict[str, Any]] = {}
        for name, stage in MODEL_CHECKS.items():
            if not stage.enabled(self.v):
                stages[stage.name] = {"check": name, "skipped": "switched off"}
            elif self.run_stage is None:
                stages[stage.name] = {"check": name, "skipped": "no verifier model configured"}
            else:
                s = self.run_stage(stage)
                stages[stage.name] = {
                    "check": name, "total": s.total, "done_before": s.done_before,
                    "done": s.done, "failed": s.failed,
                }  # fmt: skip
        if self.run_stage is None and any(s.enabled(self.v) for s in MODEL_CHECKS.values()):
            self.notes.append(
                "model checks skipped: set models.verifier (or pass --model) to run them"
            )
        return stages

    # -- pass 3: thresholds, then balance over what survives -------------------------------------

    def _balance_pass(self, image_ids: list[str]) -> dict[str, Any]:
        choices: list[ChoiceItem] = []
        judgements: list[JudgementItem] = []
        had_yes_no: set[str] = set()
        for _, instructions in self._scoped(image_ids):
            for ins in instructions:
                ins = self._rejudge(ins)
                if "yes_no_balance" in ins.checks:
                    had_yes_no.add(ins.id)
                if flagged_by(ins.checks, BALANCE_CHECKS):
                    continue
                if ins.kind == "multiple_choice" and len(ins.choices) == len(LETTERS):
                    movable = not self_referencing(ins.choices)
                    choices.append(
                        ChoiceItem(ins.id, ins.domain, ins.answer.strip()[:1].upper(), movable)
                    )
                elif ins.kind == "judgement":
                    score = ins.checks.get("answer_grounded", {}).get("score", 1.0)
                    judgements.append(
                        JudgementItem(ins.id, ins.domain, is_yes(ins.answer), float(score))
                    )
        self.writes.flush()
        moved = self._rebalance_choices(choices) if self.v.rebalance_choices else {}
        yes_no = self._balance_yes_no(judgements, had_yes_no)
        after = [ChoiceItem(c.id, c.domain, moved.get(c.id, c.letter), c.movable) for c in choices]
        return {
            "choices": {"before": choices, "after": after, "moved": len(moved)},
            "yes_no": yes_no,
        }

    def _rejudge(self, ins: Instruction) -> Instruction:
        """Re-apply thresholds and switches to stored model verdicts (no model call)."""
        decided: dict[str, CheckResult | None] = {}
        checks = dict(ins.checks)
        for name in MODEL_CHECKS:
            stored = ins.checks.get(name)
            if not isinstance(stored, dict):
                continue
            passed = judge_model_check(name, stored, self.v)
            if stored.get("passed") is not passed:
                details = {
                    k: v for k, v in stored.items() if k not in ("passed", "score", "reason")
                }
                decided[name] = CheckResult(
                    instruction_id=ins.id, name=name, passed=passed,
                    score=float(stored.get("score", 0.0)),
                    reason=str(stored.get("reason", "")) if passed is not None else
                    f"switched off (kept: {stored.get('reason', '')})", details=details,
                )  # fmt: skip
                checks[name] = decided[name].as_check()  # type: ignore[union-attr]
        if decided:
            self.writes.sync(ins, decided)
        return ins.model_copy(update={"checks": checks})

    def _rebalance_choices(self, items: list[ChoiceItem]) -> dict[str, str]:
        moves = plan_choice_moves(items)
        for ins in self.store.instructions_by_id(sorted(moves)):
            answer = ins.answer.strip()[:1].upper()
            choices, letter = swap_to(ins.choices, answer, moves[ins.id])
            first = ins.checks.get("mc_balance", {}).get("before") or {
                "choices": ins.choices, "answer": answer,
            }  # fmt: skip
            record = CheckResult(
                instruction_id=ins.id, name="mc_balance", passed=True, score=1.0,
                reason=f"options reordered: the answer moved from {answer} to {letter}",
                details={"before": first, "after": {"choices": choices, "answer": letter}},
            )  # fmt: skip
            self.store.remap_choices(ins.id, choices, letter, record)
        return moves

    def _balance_yes_no(self, items: list[JudgementItem], had: set[str]) -> dict[str, Any]:
        results, shares = plan_yes_no(items, self.v)
        if not self.v.yes_no_balance:
            results = []
        decided = {r.instruction_id: r for r in results}
        ids = sorted(had | set(decided))
        for ins in self.store.instructions_by_id(ids):
            self.writes.sync(ins, {"yes_no_balance": decided.get(ins.id)})
        self.writes.flush()
        return shares


def runs_in_run(config: ProjectConfig) -> bool:
    """Whether ``visinstruct run`` verifies after generating: ``verify.enabled``, where
    ``auto`` means "when a verifier model is configured" (so a run given only ``--model``
    behaves as before verification existed)."""
    if config.verify.enabled == "auto":
        return config.models.verifier is not None
    return bool(config.verify.enabled)

"""Verification: score every instruction and flag the doubtful ones, so review goes there.

Model checks (the ``verifier`` role), local checks, near-duplicates, answer balance and a
report. A verdict is ``Instruction.checks[name] = {"passed": bool | None, "score": float,
"reason": str, ...}``; an instruction is *flagged* when any ``passed`` is False (exports drop
it when ``export.drop_failed_checks``; ``Store.flagged_instructions`` lists them for review).
"""

from __future__ import annotations

from visinstruct.verify.local import LOCAL_CHECKS, ImageContext, local_results
from visinstruct.verify.report import REPORT_FILENAME, write_report
from visinstruct.verify.run import BALANCE_CHECKS, Verifier, flagged_by, runs_in_run
from visinstruct.verify.stage import (
    MODEL_CHECKS,
    AnswerStage,
    BlindStage,
    CaptionCheckStage,
    unit_key,
)

__all__ = [
    "BALANCE_CHECKS",
    "LOCAL_CHECKS",
    "MODEL_CHECKS",
    "REPORT_FILENAME",
    "AnswerStage",
    "BlindStage",
    "CaptionCheckStage",
    "ImageContext",
    "Verifier",
    "flagged_by",
    "local_results",
    "runs_in_run",
    "unit_key",
    "write_report",
]

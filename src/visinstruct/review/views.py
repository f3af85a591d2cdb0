"""What the review pages show, as plain data: queue filters read from a query string, and
instructions turned into the cards a page renders (and its script updates).

No HTML is built here: templates render these values with autoescaping on, and the page
script writes them with ``textContent``, so model output is always text, never markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from visinstruct.records import KINDS, LANGUAGES, Instruction
from visinstruct.store.sqlite import ReviewFilter

__all__ = ["STATUSES", "card", "filter_from_query", "filter_query"]

STATUSES = ("unreviewed", "accepted", "edited", "rejected", "flagged")
PLANS = ("plan", "flagged", "sample")
_CHECK_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_MAX_VALUE = 200
_KIND_LABEL = {
    "judgement": "Yes/No",
    "multiple_choice": "Multiple choice",
    "long_vqa": "Long answer",
    "short_vqa": "Short answer",
}


def _pick(query: Mapping[str, str], name: str, allowed: tuple[str, ...] | None) -> str | None:
    value = query.get(name, "").strip()
    if not value or len(value) > _MAX_VALUE:
        return None
    if allowed is not None and value not in allowed:
        return None
    return value


def filter_from_query(query: Mapping[str, str]) -> ReviewFilter:
    """The queue filter a query string asks for; values that cannot be valid are dropped."""
    check = _pick(query, "check", None)
    if check is not None and not _CHECK_NAME.match(check):
        check = None
    return ReviewFilter(
        domain=_pick(query, "domain", None),
        kind=_pick(query, "kind", KINDS),
        language=_pick(query, "language", LANGUAGES),
        status=_pick(query, "status", STATUSES),
        check=check,
        model=_pick(query, "model", None),
        plan=_pick(query, "plan", PLANS),
    )


def filter_query(f: ReviewFilter, **extra: Any) -> str:
    """The query string of a filter (plus ``extra``), for links that keep the queue."""
    fields = ("domain", "kind", "language", "status", "check", "model", "plan")
    pairs = [(name, getattr(f, name)) for name in fields if getattr(f, name)]
    pairs += [(k, v) for k, v in extra.items() if v is not None]
    return urlencode(pairs)


def _check_rows(checks: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, result in sorted(checks.items()):
        passed = result.get("passed") if isinstance(result, dict) else None
        rest = (
            {k: v for k, v in result.items() if k != "passed"}
            if isinstance(result, dict)
            else result
        )
        detail = "" if rest in ({}, None) else json.dumps(rest, ensure_ascii=False, sort_keys=True)
        rows.append({
            "name": name,
            "passed": passed if isinstance(passed, bool) else None,
            "detail": detail if len(detail) <= 300 else detail[:299] + "…",
        })  # fmt: skip
    return rows


def card(instruction: Instruction, others: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """One instruction as a page shows it; ``others``: other reviewers' decisions on it."""
    answer = instruction.answer
    letters = "ABCD"[: len(instruction.choices)]
    return {
        "id": instruction.id,
        "kind": instruction.kind,
        "kind_label": _KIND_LABEL[instruction.kind],
        "language": instruction.language,
        "question": instruction.question,
        "choices": list(instruction.choices),
        "answer": answer,
        "answer_index": letters.index(answer) if len(answer) == 1 and answer in letters else -1,
        "status": instruction.review_status,
        "model": instruction.provenance.model,
        "checks": _check_rows(instruction.checks),
        "others": others or [],
    }

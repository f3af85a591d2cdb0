"""The rule-book corpus (tests/generate/corpus/): 162 replies written from PARSING.md alone.

Every case must come out exactly as written: the same stored items (kind, question, options,
answer) and the same refusal reasons. The score line is what the closing note quotes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from visinstruct.generate import parse_reply

from rulebook_corpus import cases, expected_items, run_case, score

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file']}:{c['id']}" for c in CASES])
def test_rulebook_case(case: dict[str, Any]) -> None:
    stored, codes = run_case(case)
    if case.get("unusable"):
        assert (stored, codes) == ([], [])
        return
    assert Counter(stored) == Counter(expected_items(case)), (stored, codes)
    assert Counter(codes) == Counter(case["refused"]), (stored, codes)


def test_every_refused_item_keeps_its_raw_text_and_reason() -> None:
    from visinstruct.generate import Rules, judge_items

    for case in CASES:
        if case.get("unusable"):
            continue
        verdict = judge_items(parse_reply(case["reply"], case["format"]), case["language"],
                              Rules(), expected=case.get("kind"))  # fmt: skip
        for reject in verdict.rejects:
            assert reject.raw.strip(), case["id"]
            assert reject.reason.startswith(reject.code + ": ") and len(reject.message) > 5


def test_corpus_covers_the_rule_book(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(CASES) >= 150
    assert {c["language"] for c in CASES} == {"en", "zh"}
    assert {c["format"] for c in CASES} == {"json", "tagged"}
    kinds = {c.get("kind") for c in CASES} | {
        i.get("k") for c in CASES for i in c.get("accepted", [])
    }
    assert {"judgement", "multiple_choice", "short_vqa", "long_vqa"} <= kinds
    decisions = {d for c in CASES for d in c["decisions"]}
    assert set(range(1, 15)) | {"leak"} <= decisions
    result = score()
    with capsys.disabled():
        print(
            f"\nrule-book corpus: items exactly right {result['right']}/{result['total']}, "
            f"replies exactly right {result['replies_exact']}/{result['replies']}"
        )
    assert result["right"] == result["total"]

"""Score the reply reader on the rule-book corpus (tests/generate/corpus/*.yaml).

An item is exactly right when an expected stored item comes out with the same kind, question,
options and answer, or an expected refusal comes out refused with the same reason code. A reply
expected to be a reply-level failure is one item, right when the reader stores nothing and
refuses nothing. Run it to print the score::

    PYTHONPATH=src:tests python tests/rulebook_corpus.py [--lenient]

``--lenient`` counts a refusal as right whatever its reason (for readers with other codes).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from visinstruct.errors import OutputParseError
from visinstruct.generate import Rules, judge_items, parse_reply

CORPUS = Path(__file__).parent / "generate" / "corpus"
YES_NO = {"en": ["Yes", "No"], "zh": ["是", "否"]}


def cases() -> list[dict[str, Any]]:
    found = []
    for path in sorted(CORPUS.glob("*.yaml")):
        fmt = "json" if path.name.startswith("json") else "tagged"
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            found.append({**case, "format": fmt, "file": path.name})
    return found


def rules() -> Rules:
    fields = Rules.__dataclass_fields__
    if "long_min_words" in fields:
        return Rules(short_max_words=8, **{"long_min_words": 20})
    return Rules(short_max_words=8, **{"long_min_chars": 100})  # the reader before words


def expected_items(case: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...], str]]:
    out = []
    for item in case.get("accepted", []):
        kind = item.get("k", case.get("kind"))
        if kind == "judgement":
            options = tuple(YES_NO[case["language"]])
        else:
            options = tuple(item.get("o", ()))
        out.append((kind, item["q"], options, item["a"]))
    return out


def run_case(case: dict[str, Any]) -> tuple[list[tuple[str, str, tuple[str, ...], str]], list[str]]:
    """(stored items, refusal codes) for one case."""
    try:
        items = parse_reply(case["reply"], case["format"])
    except OutputParseError:
        return [], []
    verdict = judge_items(items, case["language"], rules(), expected=case.get("kind"))
    stored = [(d.kind, d.question, _options(d, case["language"]), d.answer) for d in verdict.drafts]
    return stored, [r.code for r in verdict.rejects]


def _options(draft: Any, language: str) -> tuple[str, ...]:
    """The rule book's normalised options; the store keeps judgement's Yes/No pair implied."""
    if hasattr(draft, "options"):
        return tuple(draft.options)
    if draft.kind == "judgement" and not draft.choices:
        return tuple(YES_NO[language])
    return tuple(draft.choices)


@dataclass
class CaseScore:
    right: int
    total: int
    exact: bool


def score_case(case: dict[str, Any], *, lenient: bool = False) -> CaseScore:
    stored, codes = run_case(case)
    if case.get("unusable"):
        ok = not stored and not codes
        return CaseScore(int(ok), 1, ok)
    want = Counter(expected_items(case))
    got = Counter(stored)
    right = sum((want & got).values())
    want_codes = Counter(case["refused"])
    if lenient:
        right += min(len(case["refused"]), len(codes))
    else:
        right += sum((want_codes & Counter(codes)).values())
    total = sum(want.values()) + len(case["refused"])
    exact = want == got and (
        len(codes) == len(case["refused"]) if lenient else want_codes == Counter(codes)
    )
    return CaseScore(right, total, exact)


def score(*, lenient: bool = False) -> dict[str, Any]:
    right = total = exact = 0
    by_group: dict[str, list[int]] = {}
    for case in cases():
        s = score_case(case, lenient=lenient)
        right, total, exact = right + s.right, total + s.total, exact + int(s.exact)
        for group in (case["format"], case["language"], str(case.get("kind") or "combined")):
            tally = by_group.setdefault(group, [0, 0])
            tally[0] += int(s.exact)
            tally[1] += 1
    return {"right": right, "total": total, "replies_exact": exact, "replies": len(cases()),
            "replies_exact_by_group": by_group}  # fmt: skip


def main(argv: list[str]) -> int:
    result = score(lenient="--lenient" in argv)
    print(
        f"items exactly right: {result['right']}/{result['total']} "
        f"({result['right'] / result['total']:.1%}); replies exactly right: "
        f"{result['replies_exact']}/{result['replies']}"
    )
    for group, (ok, n) in sorted(result["replies_exact_by_group"].items()):
        print(f"  {group}: {ok}/{n} replies")
    if "-v" in argv:
        for case in cases():
            s = score_case(case, lenient="--lenient" in argv)
            if not s.exact:
                print(case["file"], case["id"], run_case(case))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

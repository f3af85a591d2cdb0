"""Table-driven: every reply of the two corpora is read and judged exactly as its case says."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from visinstruct.errors import OutputParseError
from visinstruct.generate import Rules, judge_items, parse_reply
from visinstruct.records import Kind

HERE = Path(__file__).parent
COMBINED: dict[Kind, int] = {"judgement": 4, "multiple_choice": 2, "long_vqa": 1, "short_vqa": 2}
CORPORA = {"json": HERE / "corpus_json.yaml", "tagged": HERE / "corpus_tagged.yaml"}


def _cases() -> list[Any]:
    params = []
    for fmt, path in CORPORA.items():
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            params.append(pytest.param(fmt, case, id=f"{fmt}:{case['id']}"))
    return params


def _summary(kind: str, answer: str) -> str:
    return f"{kind}:{answer}"


def _matches(expected: str, kind: str, answer: str) -> bool:
    want_kind, _, want_answer = expected.partition(":")
    return want_kind == kind and (not want_answer or want_answer == answer)


def _readable(reply: str, fmt: str) -> bool:
    try:
        parse_reply(reply, "json" if fmt == "json" else "tagged")
    except OutputParseError:
        return False
    return True


@pytest.mark.parametrize(("fmt", "case"), _cases())
def test_corpus_reply(fmt: str, case: dict[str, Any]) -> None:
    kind = cast(Kind | None, case.get("kind"))
    counts = COMBINED if kind is None else {kind: COMBINED[kind]}
    expect = case["expect"]
    reader_format = "json" if fmt == "json" else "tagged"
    if expect.get("unusable") and not _readable(case["reply"], reader_format):
        with pytest.raises(OutputParseError) as caught:
            parse_reply(case["reply"], reader_format)
        assert caught.value.raw == case["reply"]
        return
    items = parse_reply(case["reply"], reader_format)
    verdict = judge_items(
        items, case["language"], Rules(), counts=counts, expected=kind,
        seeds=case.get("seeds", ()),
    )  # fmt: skip
    if expect.get("unusable"):
        assert not verdict.drafts, "should have yielded nothing usable"
        return
    got = [_summary(d.kind, d.answer) for d in verdict.drafts]
    wanted = expect["accepted"]
    assert len(got) == len(wanted), (got, [r.reason for r in verdict.rejects])
    for expected, draft in zip(wanted, verdict.drafts, strict=True):
        assert _matches(expected, draft.kind, draft.answer), (got, wanted)
    assert [r.code for r in verdict.rejects] == expect["rejected"], [
        r.reason for r in verdict.rejects
    ]
    for reject in verdict.rejects:
        assert reject.raw.strip(), "every rejected item keeps its raw text"
        assert reject.reason.startswith(reject.code + ": ")
        assert len(reject.reason) > len(reject.code) + 4


def test_corpora_are_big_and_varied() -> None:
    for fmt, path in CORPORA.items():
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert len(cases) >= 40, fmt
        assert len({c["id"] for c in cases}) == len(cases), fmt
        assert {c["language"] for c in cases} == {"en", "zh"}, fmt
        codes = {code for c in cases for code in c["expect"].get("rejected", [])}
        for needed in ("leakage", "mc_option_count", "mc_duplicate_options", "mc_answer_unmapped"):
            assert needed in codes, (fmt, needed)
        assert any(c["expect"].get("unusable") for c in cases), fmt

"""Turn a generator's reply into checked instruction drafts.

Models wrap JSON in code fences and chatter, letter options, answer "(B)" or with the option
text. The parser accepts all of that; the checks drop items that are not well-formed, and say
why, so one bad item does not cost the rest of a reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from visinstruct.errors import OutputParseError
from visinstruct.records import KINDS, Kind, Language

__all__ = ["Draft", "ParseResult", "extract_json", "parse_reply"]

LETTERS = "ABCD"
_FULLWIDTH = str.maketrans("ＡＢＣＤａｂｃｄ（）．：", "ABCDabcd().:")
_YES = {"yes", "y", "true", "是", "是的", "对", "正确"}
_NO = {"no", "n", "false", "否", "不是", "不", "错误"}
_OPTION_LABEL = re.compile(r"^\s*[\(（]?[A-Da-d][\)）.．:：、]\s*")
_LETTER_ANSWER = re.compile(r"^\s*[\(（]?([A-Da-d])(?:[\)）.．:：、]|\s|$)")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Draft:
    kind: Kind
    question: str
    choices: tuple[str, ...]
    answer: str


@dataclass
class ParseResult:
    drafts: list[Draft] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def extract_json(text: str) -> Any:
    """The JSON value in ``text``, fenced or surrounded by prose."""
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    candidate = fenced.group(1) if fenced else text
    start = min((i for i in (candidate.find("{"), candidate.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise OutputParseError("the reply holds no JSON object", raw=text)
    end = max(candidate.rfind("}"), candidate.rfind("]"))
    try:
        return json.loads(candidate[start : end + 1])
    except (json.JSONDecodeError, RecursionError) as exc:
        raise OutputParseError(f"the reply's JSON does not parse: {exc}", raw=text) from exc


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if isinstance(value.get("instructions"), list):
            return list(value["instructions"])
        items: list[Any] = []
        for kind in KINDS:  # {"judgement": [...], ...} is a common variant
            listed = value.get(kind)
            for item in listed if isinstance(listed, list) else []:
                if isinstance(item, dict):
                    items.append({"kind": kind, **item})
        return items
    return []


def _judgement(answer: str, language: Language) -> str:
    word = answer.strip().rstrip(".。!！").strip().lower()
    if word in _YES:
        return "Yes" if language == "en" else "是"
    if word in _NO:
        return "No" if language == "en" else "否"
    raise ValueError(f"judgement answer {answer!r} is not yes or no")


def _multiple_choice(choices: Any, answer: str) -> tuple[tuple[str, ...], str]:
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise ValueError("multiple_choice needs a list of option strings")
    options = tuple(_OPTION_LABEL.sub("", c.translate(_FULLWIDTH)).strip() for c in choices)
    if len(options) != 4:
        raise ValueError(f"multiple_choice needs 4 options, got {len(options)}")
    if any(not o for o in options) or len({o.casefold() for o in options}) != 4:
        raise ValueError("multiple_choice options must be 4 distinct non-empty texts")
    plain = answer.translate(_FULLWIDTH).strip()
    match = _LETTER_ANSWER.match(plain)
    if match:
        return options, match.group(1).upper()
    for letter, option in zip(LETTERS, options, strict=True):
        if plain.casefold().rstrip(".。") == option.casefold():
            return options, letter
    raise ValueError(f"multiple_choice answer {answer!r} names none of the options")


def _check(item: Any, language: Language) -> Draft:
    if not isinstance(item, dict):
        raise ValueError("item is not an object")
    kind = str(item.get("kind", "")).strip().lower().replace("-", "_").replace(" ", "_")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    question = str(item.get("question") or "").strip()
    answer = str(item.get("answer") or "").strip()
    if not question or not answer:
        raise ValueError(f"{kind}: empty question or answer")
    if language == "zh" and not _CJK.search(question):
        raise ValueError(f"{kind}: question is not in Chinese")
    if language == "en" and _CJK.search(question):
        raise ValueError(f"{kind}: question is not in English")
    choices: tuple[str, ...] = ()
    if kind == "judgement":
        answer = _judgement(answer, language)
    elif kind == "multiple_choice":
        choices, answer = _multiple_choice(item.get("choices"), answer)
    return Draft(kind=kind, question=question, choices=choices, answer=answer)


def parse_reply(text: str, language: Language, counts: Mapping[Kind, int]) -> ParseResult:
    """Checked drafts from ``text``, at most ``counts[kind]`` of each kind.

    Raises :class:`OutputParseError` when the reply yields no usable item at all.
    """
    result = ParseResult()
    taken: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for item in _items(extract_json(text)):
        try:
            draft = _check(item, language)
        except ValueError as exc:
            result.rejected.append(str(exc))
            continue
        key = (draft.kind, draft.question.casefold())
        if key in seen or taken.get(draft.kind, 0) >= counts.get(draft.kind, 0):
            result.rejected.append(f"{draft.kind}: duplicate or beyond the requested count")
            continue
        seen.add(key)
        taken[draft.kind] = taken.get(draft.kind, 0) + 1
        result.drafts.append(draft)
    if not result.drafts:
        reasons = "; ".join(result.rejected[:5]) or "no items"
        raise OutputParseError(f"no usable instruction in the reply ({reasons})", raw=text)
    return result

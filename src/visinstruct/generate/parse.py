"""Read what a generator really replies into raw items, before any judgement of their worth.

Models wrap JSON in code fences and chatter, renumber tags (Q1, Q2, Q4), drop closing tags,
write full-width letters and Chinese punctuation, and put options inline ("A. x B. y") or one
per line. This module accepts all of that and only *reads*: whether an item is any good is
:mod:`visinstruct.generate.validate`'s business. The one error it raises is
:class:`OutputParseError` when a reply holds no item at all; no input makes it crash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from visinstruct.errors import OutputParseError

__all__ = [
    "FULLWIDTH",
    "RawItem",
    "extract_json",
    "parse_json_items",
    "parse_reply",
    "parse_tagged_items",
    "split_options",
]

ReplyFormat = Literal["json", "tagged"]

FULLWIDTH = str.maketrans(
    "ＡＢＣＤＥＦａｂｃｄｅｆ（）．：，；？！　【】",
    "ABCDEFabcdef().:,;?! []",
)
_MAX_JSON_STARTS = 64  # candidate "{" / "[" positions tried in one reply
_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_KEYS = {
    "question": ("question", "q", "instruction", "prompt", "问题", "题目"),
    "answer": ("answer", "a", "correct_answer", "correct", "答案", "正确答案"),
    "choices": ("choices", "options", "c", "选项"),
    "kind": ("kind", "type", "question_type", "题型", "类型"),
}
_LIST_KEYS = ("instructions", "questions", "items", "qa", "data", "results")
_KIND_BLOCK = re.compile(
    r"<\s*(judge?ment|multiple[ _-]?choice|long[ _-]?vqa|short[ _-]?vqa)\s*>", re.IGNORECASE
)
_KIND_BLOCK_END = re.compile(
    r"<\s*/\s*(judge?ment|multiple[ _-]?choice|long[ _-]?vqa|short[ _-]?vqa)\s*>", re.IGNORECASE
)
_TAG = re.compile(r"<\s*(/?)\s*([QCAqca])\s*(\d{0,3})\s*>")
_LINE_FIELD = re.compile(
    r"^\s*(?:[*#>\-]+\s*)?(?:\*\*)?"
    r"(Q\s*\d{1,3}|Question\s*\d{0,3}|问题\s*\d{0,3}|"
    r"C\s*\d{1,3}|Choices|Options|选项|"
    r"A\s*\d{1,3}|Answer\s*\d{0,3}|答案\s*\d{0,3})"
    r"\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?",
    re.IGNORECASE | re.MULTILINE,
)
_OPTION_LABEL = re.compile(r"(?:^|(?<=[\s,;|、]))\(?([A-H])\s?[).:、](?!\d)\s*")
_LEADING_LABEL = re.compile(r"^\s*\(?[A-Ha-h]\s?[).:、]\s*")
_WRAPPERS = " \t\r\n{}\"'“”‘’`"


@dataclass(frozen=True)
class RawItem:
    """One question as the reply wrote it, nothing checked yet.

    ``choices`` is ``None`` when the reply gave no options at all; ``raw`` is the item's own
    text in the reply, kept with any rejection.
    """

    question: str
    answer: str
    choices: tuple[str, ...] | None = None
    kind: str | None = None
    raw: str = ""


def _clean(text: str) -> str:
    return text.strip(_WRAPPERS).strip()


# -- options --------------------------------------------------------------------------------


def split_options(text: str) -> tuple[str, ...]:
    """Option texts from one string: "A. x B. y C. z D. w", one per line, or "x; y; z".

    Labels are taken only in sequence (A, then B, ...), so a "B." inside an option's text
    ("Plan B. ...") does not split it unless it is where the next label belongs. Labels are
    found on a half-width copy (same length), so the option texts keep their own punctuation.
    """
    plain = text.translate(FULLWIDTH)
    cuts: list[tuple[int, int]] = []
    expected = "A"
    for match in _OPTION_LABEL.finditer(plain):
        if match.group(1) == expected:
            cuts.append((match.start(), match.end()))
            expected = chr(ord(expected) + 1)
    if len(cuts) >= 2:
        ends = [start for start, _ in cuts[1:]] + [len(text)]
        return tuple(
            _clean(text[end:stop]).rstrip(",;|、，；").strip()
            for (_, end), stop in zip(cuts, ends, strict=True)
        )
    for separator in ("\n", ";", "；", "|", "、"):
        parts = [p for p in (_clean(x) for x in text.split(separator)) if p]
        if len(parts) >= 2:
            return tuple(_unlabel(p) for p in parts)
    single = _unlabel(_clean(text))
    return (single,) if single else ()


def _unlabel(option: str) -> str:
    """``option`` without a leading "A." / "(B)" / "Ｃ：" label."""
    match = _LEADING_LABEL.match(option.translate(FULLWIDTH))
    return option[match.end() :].strip() if match else option.strip()


def _choices_of(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return split_options(value) if value.strip() else None
    if isinstance(value, dict):
        return tuple(_unlabel(_text(v)) for v in value.values())
    if isinstance(value, list):
        texts = [_text(v) for v in value]
        if len(texts) == 1 and len(split_options(texts[0])) > 1:
            return split_options(texts[0])
        return tuple(_unlabel(t) for t in texts)
    return None


# -- JSON -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    return ""


def _loads(candidate: str) -> Any:
    for attempt in (candidate, _TRAILING_COMMA.sub(r"\1", candidate)):
        try:
            return json.loads(attempt)
        except (ValueError, RecursionError):
            continue
    decoder = json.JSONDecoder()
    starts = [m.start() for m in re.finditer(r"[{\[]", candidate)][:_MAX_JSON_STARTS]
    for start in starts:
        try:
            value, _ = decoder.raw_decode(candidate, start)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict | list) and _json_items(value):
            return value
    raise ValueError("no JSON value")


def extract_json(text: str) -> Any:
    """The JSON value in ``text``: fenced, surrounded by prose, or with trailing commas."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        try:
            return _loads(candidate.strip())
        except ValueError:
            continue
    raise OutputParseError("the reply holds no JSON object", raw=text)


def _field(item: dict[str, Any], name: str) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in item.items()}
    for key in _KEYS[name]:
        if key in lowered:
            return lowered[key]
    return None


def _json_item(item: Any, kind: str | None) -> RawItem | None:
    if not isinstance(item, dict):
        return None
    question, answer = _field(item, "question"), _field(item, "answer")
    if question is None and answer is None:
        return None
    given_kind = _text(_field(item, "kind")) or kind
    try:
        raw = json.dumps(item, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        raw = repr(item)[:2000]
    return RawItem(
        question=_clean(_text(question)),
        answer=_clean(_text(answer)),
        choices=_choices_of(_field(item, "choices")),
        kind=given_kind or None,
        raw=raw,
    )


def _json_items(value: Any, kind: str | None = None, depth: int = 0) -> list[RawItem]:
    if depth > 4:
        return []
    if isinstance(value, list):
        found = [_json_item(v, kind) for v in value]
        return [item for item in found if item is not None]
    if not isinstance(value, dict):
        return []
    single = _json_item(value, kind)
    if single is not None:
        return [single]
    items: list[RawItem] = []
    for key, sub in value.items():
        key_text = str(key).strip().lower()
        if key_text in _LIST_KEYS:
            items.extend(_json_items(sub, kind, depth + 1))
        elif isinstance(sub, list | dict):
            items.extend(_json_items(sub, str(key), depth + 1))
    return items


def parse_json_items(text: str) -> list[RawItem]:
    """Items of a JSON reply (empty when it holds no JSON or no item)."""
    try:
        return _json_items(extract_json(text))
    except OutputParseError:
        return []


# -- tagged ---------------------------------------------------------------------------------


def _fields_by_tags(segment: str) -> list[tuple[str, str, int, int]]:
    """(letter, content, start, end) for every opening <Q>/<C>/<A> tag in ``segment``."""
    tags = list(_TAG.finditer(segment))
    fields = []
    for i, tag in enumerate(tags):
        if tag.group(1):
            continue
        stop = tags[i + 1].start() if i + 1 < len(tags) else len(segment)
        fields.append((tag.group(2).upper(), segment[tag.end() : stop], tag.start(), stop))
    return fields


def _fields_by_lines(segment: str) -> list[tuple[str, str, int, int]]:
    """The same from "Q1: ... / A1: ..." lines, for replies that dropped the angle tags."""
    marks = list(_LINE_FIELD.finditer(segment))
    fields = []
    for i, mark in enumerate(marks):
        name = mark.group(1).strip().lower()
        letter = "Q" if name[0] in "q问" else "A" if name[0] in "a答" else "C"
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(segment)
        fields.append((letter, segment[mark.end() : stop], mark.start(), stop))
    return fields


def _group(segment: str, kind: str | None) -> list[RawItem]:
    fields = _fields_by_tags(segment) or _fields_by_lines(segment)
    items: list[RawItem] = []
    current: dict[str, str] = {}
    span = [0, 0]

    def flush() -> None:
        if current:
            choices = current.get("C")
            items.append(
                RawItem(
                    question=_clean(current.get("Q", "")),
                    answer=_clean(current.get("A", "")),
                    choices=split_options(choices) if choices is not None else None,
                    kind=kind,
                    raw=segment[span[0] : span[1]].strip(),
                )
            )

    for letter, content, start, stop in fields:
        if letter == "Q" or letter in current:
            flush()
            current = {}
            span[0] = start
        current[letter] = content
        span[1] = stop
    flush()
    return items


def _canonical_kind(name: str) -> str:
    return re.sub(r"[ _-]+", "_", name.strip().lower()).replace("judgment", "judgement")


def parse_tagged_items(text: str) -> list[RawItem]:
    """Items of a tagged reply, ``<Q1>…</Q1><C1>…</C1><A1>…</A1>``, kind blocks optional."""
    body = _KIND_BLOCK_END.sub("", text)
    blocks = list(_KIND_BLOCK.finditer(body))
    if not blocks:
        return _group(body, None)
    items = _group(body[: blocks[0].start()], None)
    for i, block in enumerate(blocks):
        stop = blocks[i + 1].start() if i + 1 < len(blocks) else len(body)
        kind = _canonical_kind(block.group(1))
        if kind == "multiplechoice":
            kind = "multiple_choice"
        items.extend(_group(body[block.end() : stop], kind))
    return items


# -- entry point ----------------------------------------------------------------------------


def parse_reply(text: str, fmt: ReplyFormat = "json") -> list[RawItem]:
    """The raw items of a reply, read in the asked format first, then in the other one.

    Raises :class:`OutputParseError` (carrying the raw reply) when neither finds an item.
    """
    readers = (parse_json_items, parse_tagged_items)
    if fmt == "tagged":
        readers = (parse_tagged_items, parse_json_items)
    for reader in readers:
        items = reader(text)
        if items:
            return items
    wanted = "a JSON object with an instructions list" if fmt == "json" else "<Q1>…</Q1> tags"
    raise OutputParseError(f"no instruction found in the reply (expected {wanted})", raw=text)

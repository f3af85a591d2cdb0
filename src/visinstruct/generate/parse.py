"""Read a generator's reply into raw items, one reader per format (docs: PARSING.md).

The two readers only *read*: they find where each item's question, options and answer are, and
refuse an item here only where its structure itself is ambiguous (nested tags, a JSON object cut
off mid-way, single-quoted pseudo-JSON, a field that is not a string). Whether the fields are
any good is :mod:`visinstruct.generate.validate`'s business. A reply with no item at all raises
:class:`OutputParseError`; no input makes a reader crash.

Tagged replies are read by a small scanner over ``<Qn>/<Cn>/<An>`` tags rather than an HTML
parser: the rule book pairs tags by order, tolerates missing and misnumbered closing tags, and
keeps ``<b>``/``<a href>``/``<script>`` inside fields verbatim, which an HTML parser would
rebalance or drop. JSON is decoded by the standard library's :class:`json.JSONDecoder`, one
list element at a time, so a reply cut off mid-way keeps every complete object before the cut.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from visinstruct.errors import OutputParseError

__all__ = [
    "FULLWIDTH",
    "JUNK",
    "RawItem",
    "ReplyFormat",
    "clean_reply",
    "extract_json",
    "parse_json_items",
    "parse_reply",
    "parse_tagged_items",
    "split_options",
]

ReplyFormat = Literal["json", "tagged", "auto"]

# Full-width letters and punctuation that models mix into labels, mapped to half-width.
FULLWIDTH = str.maketrans(
    "ＡＢＣＤＥＦＧＨａｂｃｄｅｆｇｈ（）．：，；、", "ABCDEFGHabcdefgh().:,;,"
)
JUNK = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")  # zero-width characters and the BOM
_MAX_STARTS = 64  # candidate "{" / "[" positions tried in one reply
_TAG = re.compile(r"<\s*(/?)\s*([QCAqca])\s*(\d{1,3})\s*>")
_BLOCK = re.compile(
    r"<\s*(/?)\s*(judge?ments?|multiple[ _-]?choices?|short[ _-]?vqa|long[ _-]?vqa)\s*>",
    re.IGNORECASE,
)
_LINE_LABEL = re.compile(r"(?m)^[ \t>#*_-]*([QCAqca])(\d{1,3})[ \t*_]*[:：][ \t*_]*")
_FENCE = re.compile(r"```[A-Za-z0-9_+-]*[ \t]*\n?")
_PSEUDO_KEY = re.compile(r"[{,\[]\s*'[^'\n]{1,40}'\s*:")
_PSEUDO_QUESTION = re.compile(r"'question'\s*:", re.IGNORECASE)
# A comma with nothing but whitespace before a closing bracket (``\s`` is ``str.isspace``).
_TRAILING_COMMA = re.compile(r",\s*[}\]]")
_STRUCTURE = re.compile(r"\[\s*[{\[\]]|\{\s*[\"'}]|\[\s*'")
_LIST_KEYS = ("instructions", "questions", "items", "data")


@dataclass(frozen=True)
class RawItem:
    """One item as the reply wrote it, nothing judged yet.

    ``choices`` holds the options as written: ``None`` when the reply gave none, one string when
    they came as one labelled text (a ``<Cn>`` tag, a JSON string), else one entry per option.
    ``problem`` is a refusal the reader already made (code, message); ``raw`` is the item's own
    text in the reply, kept with any refusal. ``answer_number`` marks a JSON number answer.
    """

    question: str
    answer: str
    choices: tuple[str, ...] | None = None
    kind: str | None = None
    raw: str = ""
    problem: tuple[str, str] | None = None
    answer_number: bool = False


def clean_reply(text: str) -> str:
    """``text`` without zero-width characters and BOMs (decision 13), wherever they are."""
    return JUNK.sub("", text)


def _has_items(text: str) -> bool:
    return bool(re.search(r"\w", text))


# -- tags -----------------------------------------------------------------------------------


@dataclass
class _Building:
    start: int
    kind: str | None
    fields: dict[str, str] = field(default_factory=dict)
    end: int = -1
    open_question: bool = True  # the <Q> field was never closed ...
    interrupted: bool = False  # ... and a new <Q> opened inside it
    nested: bool = False
    repeated: str = ""


def _segments(text: str) -> Iterator[tuple[str | None, int, int]]:
    """(kind, start, end) of each kind block; text outside blocks has kind None."""
    pos, kind = 0, None
    for match in _BLOCK.finditer(text):
        yield kind, pos, match.start()
        kind = None if match.group(1) else _block_kind(match.group(2))
        pos = match.end()
    yield kind, pos, len(text)


def _block_kind(name: str) -> str:
    low = re.sub(r"[ _-]", "", name.lower())
    if low.startswith("judg"):
        return "judgement"
    if low.startswith("multiple"):
        return "multiple_choice"
    return "short_vqa" if low.startswith("short") else "long_vqa"


def _scan_segment(text: str, start: int, end: int, kind: str | None) -> list[_Building]:
    """Items of one segment, paired by order (decisions 1-3)."""
    items: list[_Building] = []
    current: _Building | None = None
    open_field: str | None = None
    pos = start
    for tag in _TAG.finditer(text, start, end):
        closing, letter = bool(tag.group(1)), tag.group(2).upper()
        if current is not None and open_field is not None:
            current.fields[open_field] += text[pos : tag.start()]
        pos = tag.end()
        if closing:
            if open_field is not None:
                if open_field == "Q" and current is not None:
                    current.open_question = False
                open_field = None
            elif current is not None and letter == "Q":
                _mark_nested(items)
            continue
        if letter == "Q":
            if current is not None:
                current.end = tag.start()
                if open_field == "Q" and current.open_question:
                    current.interrupted = True
            current = _Building(tag.start(), kind, {"Q": ""})
            items.append(current)
            open_field = "Q"
        else:
            if current is None:  # an option or answer before any question: refused, kept
                current = _Building(tag.start(), kind, {"Q": ""}, open_question=False)
                items.append(current)
            if letter in current.fields and letter != "Q":
                current.repeated = letter
            current.fields[letter] = ""
            open_field = letter
    if current is not None and open_field is not None:
        current.fields[open_field] += text[pos:end]
    if current is not None:
        current.end = end
    return items


def _mark_nested(items: list[_Building]) -> None:
    """A stray ``</Qn>``: it closes an earlier item's question that a new ``<Qn>`` opened
    inside, so that item and every item since are nested (decision 3)."""
    for i in range(len(items) - 2, -1, -1):
        if items[i].interrupted:
            items[i].interrupted = False
            for item in items[i:]:
                item.nested = True
            return


def _tag_item(text: str, b: _Building) -> RawItem:
    raw = text[b.start : b.end].strip()
    kind = b.kind
    choices = (b.fields["C"],) if "C" in b.fields else None
    question = b.fields["Q"].strip()
    if b.nested:
        return RawItem(question, "", choices, kind, raw, ("tags_nested", _NESTED))
    if "A" not in b.fields:
        return RawItem(question, "", choices, kind, raw, ("no_answer", "the item has no <A> tag"))
    if b.repeated:
        problem = ("tags_repeated", f"the item has two <{b.repeated}> tags; which one is meant?")
        return RawItem(question, b.fields["A"], choices, kind, raw, problem)
    return RawItem(question, b.fields["A"], choices, kind, raw)


_NESTED = "a <Q> tag opens inside another item's question; neither item can be paired safely"


def _line_labels_as_tags(text: str) -> str:
    """``Q1: …`` / ``**A1:** …`` line labels, when a reply has no ``<Qn>`` tag at all."""
    return _LINE_LABEL.sub(lambda m: f"<{m.group(1).upper()}{m.group(2)}>", text)


def parse_tagged_items(text: str) -> list[RawItem]:
    """Items of a tagged reply; :class:`OutputParseError` when it has no ``<Qn>`` tag."""
    text = clean_reply(text)
    if not _TAG.search(text):
        text = _line_labels_as_tags(text)
    items: list[RawItem] = []
    for kind, start, end in _segments(text):
        items.extend(_tag_item(text, b) for b in _scan_segment(text, start, end, kind))
    if not items:
        raise OutputParseError(
            "no <Q1>…</Q1> tags in the reply; the reply must use the tagged format", raw=text
        )
    return items


# -- JSON -----------------------------------------------------------------------------------


def _outside_strings(text: str) -> Iterator[tuple[int, str]]:
    """(index, char) of every character of ``text`` outside JSON double-quoted strings."""
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        else:
            in_string = ch == '"'
            yield i, ch  # the opening quote too, so a caller sees where a string stands


def _drop_trailing_commas(text: str) -> str:
    """``text`` without commas that stand before a closing bracket (outside strings)."""
    if not _TRAILING_COMMA.search(text):
        return text  # no such comma anywhere, so none outside strings: the usual reply
    drop: set[int] = set()
    last_comma: int | None = None
    for i, ch in _outside_strings(text):
        if ch == ",":
            last_comma = i
        elif ch in "}]":
            if last_comma is not None:
                drop.add(last_comma)
            last_comma = None
        elif not ch.isspace():
            last_comma = None
    return "".join(ch for i, ch in enumerate(text) if i not in drop) if drop else text


def _unfenced(text: str) -> str:
    """The inside of the first code fence holding a bracket, else ``text``."""
    for match in _FENCE.finditer(text):
        rest = text[match.end() :]
        inside = rest.split("```", 1)[0]
        if "{" in inside or "[" in inside:
            return inside
    return text


def _starts(text: str) -> Iterator[int]:
    """The first :data:`_MAX_STARTS` ``{`` / ``[`` outside strings, found as they are asked
    for: the first one usually opens the reply's JSON, and the rest of the text is not read."""
    found = 0
    for i, ch in _outside_strings(text):
        if ch in "{[":
            yield i
            found += 1
            if found == _MAX_STARTS:
                return


def extract_json(text: str) -> Any:
    """The first complete JSON value in ``text`` (fences, chatter and trailing commas
    tolerated); :class:`OutputParseError` when there is none."""
    body = _drop_trailing_commas(_unfenced(clean_reply(text)))
    decoder = json.JSONDecoder()
    for start in _starts(body):
        try:
            return decoder.raw_decode(body, start)[0]
        except (json.JSONDecodeError, RecursionError):
            continue
    raise OutputParseError("no JSON value in the reply", raw=text)


def _key(item: dict[str, Any], *names: str) -> tuple[bool, Any]:
    for key, value in item.items():
        if isinstance(key, str) and key.strip().lower() in names:
            return True, value
    return False, None


def _options(value: Any) -> tuple[tuple[str, ...] | None, tuple[str, str] | None]:
    if value is None or value == [] or value == {} or value == "":
        return None, None
    if isinstance(value, str):
        return (value,), None
    if isinstance(value, dict):
        keys = [str(k).strip().upper().strip(".)") for k in value]
        if keys != list("ABCDEFGH"[: len(keys)]):
            return None, ("mc_option_labels", "option keys must be A, B, C, D in order")
        value = list(value.values())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value), None
    return None, ("not_a_string", "an option is not a string")


def _json_item(value: Any, kind: str | None) -> RawItem:
    raw = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict):
        return RawItem("", "", None, kind, raw, ("not_an_item", "a list entry is not an object"))
    _, question = _key(value, "question", "q")
    has_answer, answer = _key(value, "answer", "a")
    has_answer = has_answer and answer is not None
    _, stated = _key(value, "kind", "type")
    if isinstance(stated, str) and stated.strip():
        kind = stated.strip()
    choices, problem = _options(_key(value, "choices", "options")[1])
    number = isinstance(answer, (int, float)) and not isinstance(answer, bool)
    if question is not None and not isinstance(question, str):
        problem = ("not_a_string", f"the question is a JSON {type(question).__name__}")
    elif not has_answer:
        problem = ("no_answer", "the item has no answer")
    elif not (isinstance(answer, str) or number):
        problem = ("not_a_string", f"the answer is a JSON {type(answer).__name__}")
    text = question if isinstance(question, str) else ""
    said = str(answer) if isinstance(answer, str) or number else ""
    return RawItem(text, said, choices, kind, raw, problem, answer_number=number)


def _kind_keyed(value: dict[Any, Any]) -> list[RawItem]:
    """``{"judgement": [...], "short_vqa": [...]}``: each list's items take their key's kind."""
    items: list[RawItem] = []
    for key, inner in value.items():
        if (
            isinstance(key, str)
            and _BLOCK.fullmatch(f"<{key.strip()}>")
            and isinstance(inner, list)
        ):
            items.extend(_json_item(v, _block_kind(key)) for v in inner)
    return items


def _items_of(value: Any, depth: int = 0) -> list[Any] | None:
    """The item list inside a decoded value: a bare list, an object holding it under any key,
    or one item object; None when there is none."""
    if isinstance(value, list):
        return value
    if not isinstance(value, dict) or depth > 3:
        return None
    if _key(value, "question")[0]:
        return [value]
    lists = [v for k, v in value.items() if str(k).lower() in _LIST_KEYS and isinstance(v, list)]
    lists += [v for v in value.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if lists:
        return lists[0]
    for inner in value.values():
        found = _items_of(inner, depth + 1)
        if found is not None:
            return found
    return None


def _salvage(body: str, start: int) -> list[RawItem]:
    """Complete objects of a list cut off mid-way, then the partial one (decision 11)."""
    decoder = json.JSONDecoder()
    opening = next((i for i, ch in _outside_strings(body[start:]) if ch == "["), None)
    pos = start + opening + 1 if opening is not None else start
    items: list[RawItem] = []
    while True:
        while pos < len(body) and (body[pos].isspace() or body[pos] == ","):
            pos += 1
        if pos >= len(body) or body[pos] == "]":
            return items
        try:
            value, pos = decoder.raw_decode(body, pos)
        except (json.JSONDecodeError, RecursionError):
            rest = body[pos:].strip()
            problem = ("json_truncated", "the reply stops inside this object")
            items.append(RawItem("", "", None, None, rest, problem))
            return items
        items.append(_json_item(value, None))


def _pseudo_items(body: str) -> list[RawItem]:
    """Single-quoted pseudo-JSON: every item in it is refused (decision 11)."""
    problem = ("json_pseudo", "single-quoted pseudo-JSON, not JSON; nothing in it is read")
    marks = [m.start() for m in _PSEUDO_QUESTION.finditer(body)] or [0]
    cuts = [body.rfind("{", 0, m) if body.rfind("{", 0, m) >= 0 else m for m in marks]
    ends = [*cuts[1:], len(body)]
    pieces = [body[a:b].strip(" ,\n") for a, b in zip(cuts, ends, strict=True)]
    return [RawItem("", "", None, None, piece, problem) for piece in pieces]


def parse_json_items(text: str) -> list[RawItem]:
    """Items of a JSON reply; :class:`OutputParseError` when it holds no item at all."""
    cleaned = clean_reply(text)
    body = _drop_trailing_commas(_unfenced(cleaned))
    decoder = json.JSONDecoder()
    broken: int | None = None
    for start in _starts(body):
        try:
            value = decoder.raw_decode(body, start)[0]
        except (json.JSONDecodeError, RecursionError):
            if _STRUCTURE.match(body, start):
                broken = start  # JSON that does not decode: cut off, or pseudo-JSON
                break
            continue  # a bracket in the chatter around the JSON
        keyed = _kind_keyed(value) if isinstance(value, dict) else []
        if keyed:
            return keyed
        found = _items_of(value)
        if found:
            return [_json_item(v, None) for v in found]
    if broken is not None and _PSEUDO_KEY.search(body, broken):
        return _pseudo_items(body[broken:])
    salvaged = _salvage(body, broken) if broken is not None else []
    if salvaged:
        return salvaged
    raise OutputParseError(
        "no JSON item list in the reply; expected a list of items or an object holding one",
        raw=text,
    )


# -- both -----------------------------------------------------------------------------------


def split_options(text: str) -> tuple[str, ...]:
    """Option texts of one labelled string ("A. x B. y C. z D. w"); () when unlabelled."""
    from visinstruct.generate.fields import labelled_options

    found = labelled_options(text)
    return found if isinstance(found, tuple) else ()


def parse_reply(text: str, fmt: ReplyFormat = "json") -> list[RawItem]:
    """Raw items of ``text`` in reply format ``fmt``; ``auto`` reads tags when the reply has
    a ``<Qn>`` tag, else JSON. Raises :class:`OutputParseError` when no item can be read."""
    if not _has_items(clean_reply(text)):
        raise OutputParseError("the reply is empty", raw=text)
    if fmt == "auto":
        fmt = "tagged" if _TAG.search(clean_reply(text)) else "json"
    readers = [parse_tagged_items, parse_json_items]
    if fmt == "json":
        readers.reverse()
    try:
        return readers[0](text)
    except OutputParseError as first:
        try:  # a reply in the other format is still read by that format's own rules
            return readers[1](text)
        except OutputParseError:
            raise first from None

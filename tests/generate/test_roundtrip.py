"""Property tests: any well-formed item list, rendered as tags or as JSON with the noise the rule
book allows (PARSING.md), parses back to exactly the same items."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visinstruct.generate import Rules, judge_items, parse_reply
from visinstruct.records import KINDS, Kind, Language

RULES = Rules(short_max_words=8, long_min_words=20)
_HAN = (
    "的一是在了有和人这中大为上个国我以要他时来用们生到作地于"
    "出就分对成会可主发年动同工也能下过子说产种面而方后多定行"
)
LETTERS = "ABCD"
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@dataclass(frozen=True)
class Item:
    kind: Kind
    question: str
    options: tuple[str, ...]
    answer: str  # normalised: a letter, Yes/No or 是/否, or the text


def _words(language: Language, n_min: int, n_max: int) -> st.SearchStrategy[str]:
    if language == "zh":
        return st.text(alphabet=_HAN, min_size=n_min, max_size=n_max)
    word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=7)
    return st.lists(word, min_size=n_min, max_size=n_max).map(" ".join)


@st.composite
def items(draw: st.DrawFn, language: Language) -> list[Item]:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6))
    out = []
    for i, kind in enumerate(kinds):
        stem = draw(_words(language, 2, 6))
        question = f"{stem} {i}？" if language == "zh" else f"Q{i} {stem}?"
        if kind == "multiple_choice":
            opts = draw(st.lists(_words(language, 1, 2), min_size=4, max_size=4,
                                 unique_by=lambda o: o.casefold()))  # fmt: skip
            out.append(Item(kind, question, tuple(opts), draw(st.sampled_from(LETTERS))))
        elif kind == "judgement":
            yes, no = ("是", "否") if language == "zh" else ("Yes", "No")
            out.append(Item(kind, question, (yes, no), draw(st.sampled_from([yes, no]))))
        elif kind == "short_vqa":
            n = (1, 14) if language == "zh" else (1, 8)
            out.append(Item(kind, question, (), draw(_words(language, *n))))
        else:
            n = (44, 70) if language == "zh" else (22, 30)
            out.append(Item(kind, question, (), draw(_words(language, *n))))
    return out


_LABELS = ["{}. ", "{}) ", "({}) ", "{}．", "（{}）", "{}、"]
_MC_ANSWERS = ["{}", "{} ", "{}.", "({})", "（{}）", "{}、", "Answer: {}", "答案：{}", "  {}  "]


def _answer_text(draw: st.DrawFn, item: Item, language: Language) -> str:
    if item.kind == "multiple_choice":
        letter = item.answer
        text = item.options[LETTERS.index(letter)]
        forms = [f.format(letter) for f in _MC_ANSWERS] + [
            letter.lower(), chr(ord(letter) + 0xFEE0), f"{letter}. {text}", text.upper(),
            f"{text}。",
        ]  # fmt: skip
        return draw(st.sampled_from(forms))
    if item.kind == "judgement":
        if language == "zh":
            return draw(
                st.sampled_from([item.answer, item.answer + "。", item.answer + "，因为如此"])
            )
        word = item.answer
        forms = [word, word.lower(), word.upper(), word + ".", word + "!",
                 word + ", because it is so.", word + ". That is clear."]  # fmt: skip
        return draw(st.sampled_from(forms))
    return draw(st.sampled_from(["{}", " {} ", "Answer: {}", "答案：{}"])).format(item.answer)


def _options_text(draw: st.DrawFn, item: Item) -> str:
    label = draw(st.sampled_from(_LABELS))
    sep = draw(st.sampled_from([" ", "\n", "  "]))
    return sep.join(label.format(LETTERS[i]) + o for i, o in enumerate(item.options))


def _tag(draw: st.DrawFn, letter: str) -> str:
    return draw(st.sampled_from([letter, letter.lower()])) + str(draw(st.integers(1, 12)))


def render_tags(draw: st.DrawFn, items: list[Item], language: Language, combined: bool) -> str:
    parts = [draw(st.sampled_from(["", "Here you go:\n", "好的：\n"]))]
    for item in items:
        fields = [("Q", item.question)]
        if item.kind == "multiple_choice":
            fields.append(("C", _options_text(draw, item)))
        elif item.kind == "judgement" and draw(st.booleans()):
            fields.append(("C", draw(st.sampled_from([", ", " / ", "，"])).join(item.options)))
        fields.append(("A", _answer_text(draw, item, language)))
        body = ""
        for letter, text in fields:
            close = f"</{_tag(draw, letter)}>" if draw(st.booleans()) else ""
            body += f"<{_tag(draw, letter)}>{text}{close or chr(10)}"
        parts.append(f"<{item.kind}>\n{body}</{item.kind}>\n" if combined else body + "\n")
    return "".join(parts)


def render_json(draw: st.DrawFn, items: list[Item], language: Language) -> str:
    rows = []
    for item in items:
        row: dict[str, object] = {
            draw(st.sampled_from(["kind", "Kind", "type"])): item.kind,
            draw(st.sampled_from(["question", "Question", "QUESTION"])): item.question,
            draw(st.sampled_from(["answer", "Answer"])): _answer_text(draw, item, language),
        }
        if item.kind == "multiple_choice":
            style = draw(st.sampled_from(["list", "labelled", "dict", "string"]))
            row["choices"] = {
                "list": list(item.options),
                "labelled": [f"{LETTERS[i]}. {o}" for i, o in enumerate(item.options)],
                "dict": dict(zip(LETTERS, item.options, strict=True)),
                "string": _options_text(draw, item),
            }[style]
        elif item.kind == "judgement" and draw(st.booleans()):
            row["choices"] = list(item.options)
        if draw(st.booleans()):
            row["confidence"] = 0.9
        rows.append(row)
    key = draw(st.sampled_from(["instructions", "questions", "items", "data", None]))
    value: object = rows if key is None else {"note": "x", key: rows}
    text = json.dumps(
        value, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2]))
    )
    if draw(st.booleans()):
        text = text.replace("}", ",}").replace("]", ",]")  # trailing commas
    fence = draw(st.sampled_from(["{}", "```json\n{}\n```", "```\n{}\n```", "Sure!\n{}\nBye."]))
    return fence.format(text)


def _sprinkle(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(ZERO_WIDTH)) + text[at:]
    return text


@st.composite
def replies(draw: st.DrawFn) -> tuple[str, str, Language, Kind | None, list[Item]]:
    language: Language = draw(st.sampled_from(["en", "zh"]))
    wanted = draw(items(language))
    fmt = draw(st.sampled_from(["tagged", "json"]))
    single = len({i.kind for i in wanted}) == 1 and draw(st.booleans())
    expected = wanted[0].kind if single else None
    if fmt == "tagged":
        text = render_tags(draw, wanted, language, combined=not single)
    else:
        text = render_json(draw, wanted, language)
    return _sprinkle(draw, text), fmt, language, expected, wanted


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies())
def test_well_formed_items_survive_the_noise(
    case: tuple[str, str, Language, Kind | None, list[Item]],
) -> None:
    text, fmt, language, expected, wanted = case
    verdict = judge_items(parse_reply(text, fmt), language, RULES, expected=expected)  # type: ignore[arg-type]
    assert [r.reason for r in verdict.rejects] == []
    got = [Item(d.kind, d.question, d.options, d.answer) for d in verdict.drafts]
    assert got == wanted

"""How each field of an item is read (docs: PARSING.md, decisions 5-10 and the length limits).

Every reader returns the normalised value or raises :class:`FieldProblem` with a reason code,
never a guess: an answer is mapped to a letter only by its label or by the full text of an
option, never by its first character.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from visinstruct.records import Language

__all__ = [
    "LETTERS",
    "YES_NO",
    "FieldProblem",
    "han_share",
    "judgement_answer",
    "judgement_options_ok",
    "labelled_options",
    "language_ok",
    "length_units",
    "mc_answer",
    "mc_options",
    "vqa_answer",
    "word_units",
]

LETTERS = "ABCD"
YES_NO: dict[Language, tuple[str, str]] = {"en": ("Yes", "No"), "zh": ("是", "否")}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_ZH_UNIT = re.compile(_HAN.pattern + r"|[A-Za-z0-9]+")
_LABEL = re.compile(r"[(（]\s*([A-HＡ-Ｈ])\s*[)）]|(?<![A-Za-z0-9])([A-HＡ-Ｈ])\s*[.．、)）]")
_ANSWER_LABEL = re.compile(r"^\s*(?:answer|答案)\s*[:：]\s*", re.IGNORECASE)
_LETTER_ONLY = re.compile(
    r"[(（]\s*([A-Za-zＡ-Ｚａ-ｚ])\s*[)）]|([A-Za-zＡ-Ｚａ-ｚ])\s*[.．、)）]?"
)
_LETTER_TEXT = re.compile(
    r"(?:[(（]\s*([A-Da-dＡ-Ｄａ-ｄ])\s*[)）]|([A-Da-dＡ-Ｄａ-ｄ])\s*[.．、)）:：])\s*(.+)",
    re.DOTALL,
)
_YES_NO_EN = re.compile(r"(yes|no)(?:[.,!;:].*)?", re.IGNORECASE | re.DOTALL)
_YES_NO_ZH = re.compile(r"(是|否)(?:[。，！；：、.,!;:].*)?", re.DOTALL)
_OPTION_SPLIT = re.compile(r"[\s,，、/|;；]+")
_OPTION_WRAP = "{}[]()（）\"'“”‘’「」"


class FieldProblem(ValueError):
    """Why a field cannot be read: a reason code and a message."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def _letter(ch: str) -> str:
    return chr(ord(ch) - 0xFEE0).upper() if ord(ch) > 0xFF00 else ch.upper()


def _fold(text: str) -> str:
    """Text compared ignoring case, runs of whitespace and a final ``.``/``。``."""
    return " ".join(text.split()).casefold().rstrip(".。").strip()


# -- multiple choice ---------------------------------------------------------------------------


def labelled_options(text: str) -> tuple[str, ...] | FieldProblem:
    """Option texts of one string labelled A, B, C, ... in order (decision 5)."""
    found = list(_LABEL.finditer(text))
    if not found:
        return FieldProblem("mc_option_labels", "options must be labelled A. B. C. D.")
    letters = "".join(_letter(m.group(1) or m.group(2)) for m in found)
    if letters != "ABCDEFGH"[: len(letters)]:
        return FieldProblem("mc_option_labels", f"option labels are out of order ({letters})")
    ends = [m.start() for m in found[1:]] + [len(text)]
    return tuple(
        text[m.end() : stop].strip().rstrip(",，;；").strip()
        for m, stop in zip(found, ends, strict=True)
    )


def _listed_options(options: Sequence[str]) -> tuple[str, ...]:
    """A list of options, each with or without its own label."""
    out = []
    for i, option in enumerate(options):
        text = option.strip()
        label = _LABEL.match(text)
        if label:
            if _letter(label.group(1) or label.group(2)) != "ABCDEFGH"[min(i, 7)]:
                raise FieldProblem("mc_option_labels", f"option {i + 1} has the label {text[:3]!r}")
            text = text[label.end() :].strip()
        out.append(text)
    return tuple(out)


def mc_options(choices: tuple[str, ...] | None) -> tuple[str, ...]:
    """Exactly four non-empty distinct options (decision 5)."""
    if not choices or not any(c.strip() for c in choices):
        raise FieldProblem("mc_options_missing", "a multiple-choice item needs its options")
    if len(choices) == 1:
        found = labelled_options(choices[0])
        if isinstance(found, FieldProblem):
            raise found
        options = found
    else:
        options = _listed_options(choices)
    if len(options) != 4:
        raise FieldProblem("mc_option_count", f"{len(options)} options; exactly 4 are needed")
    if any(not o for o in options):
        raise FieldProblem("mc_empty_option", "an option is empty")
    folded = [_fold(o) for o in options]
    if len(set(folded)) < 4:
        raise FieldProblem("mc_duplicate_options", "two options are the same")
    return options


def mc_answer(answer: str, options: Sequence[str], *, number: bool = False) -> str:
    """The letter of the correct option (decision 6)."""
    if number:
        raise FieldProblem("mc_answer_unmapped", "the answer is a number, not a letter A-D")
    text = _ANSWER_LABEL.sub("", answer.strip()).strip()
    for i, option in enumerate(options):
        if _fold(text) == _fold(option):
            return LETTERS[i]
    only = _LETTER_ONLY.fullmatch(text)
    if only:
        letter = _letter(only.group(1) or only.group(2))
        if letter in LETTERS:
            return letter
        raise FieldProblem("mc_answer_unmapped", f"the answer letter {letter} is not A-D")
    with_text = _LETTER_TEXT.fullmatch(text)
    if with_text:
        letter = _letter(with_text.group(1) or with_text.group(2))
        if _fold(with_text.group(3)) == _fold(options[LETTERS.index(letter)]):
            return letter
        raise FieldProblem(
            "mc_answer_contradiction",
            f"the answer names {letter} but its text {with_text.group(3).strip()!r} is not "
            f"option {letter}",
        )
    raise FieldProblem(
        "mc_answer_unmapped", f"the answer {text[:40]!r} is no option's letter or text"
    )


# -- judgement -------------------------------------------------------------------------------


def judgement_answer(answer: str, language: Language) -> str:
    """``Yes``/``No`` or ``是``/``否`` (decision 7)."""
    text = answer.strip()
    match = (_YES_NO_ZH if language == "zh" else _YES_NO_EN).fullmatch(text)
    if not match:
        pair = "是 or 否" if language == "zh" else "Yes or No"
        raise FieldProblem("judgement_answer", f"the answer {text[:40]!r} is not {pair}")
    word = match.group(1)
    return word if language == "zh" else word.capitalize()


def judgement_options_ok(choices: tuple[str, ...] | None, language: Language) -> bool:
    """No options, or exactly the Yes/No pair of ``language`` (decision 8)."""
    if not choices:
        return True
    tokens = []
    for token in _OPTION_SPLIT.split(" ".join(choices)):
        token = token.strip(_OPTION_WRAP).strip()
        if token and not re.fullmatch(r"[A-BＡ-Ｂ][.．、)）]?|[(（][A-B][)）]", token):
            tokens.append(token.casefold())
    return sorted(tokens) == sorted(w.casefold() for w in YES_NO[language])


# -- open answers, lengths, language ------------------------------------------------------------


def vqa_answer(answer: str) -> str:
    """The answer stripped, without a leading ``Answer:`` label (decision 9)."""
    text = _ANSWER_LABEL.sub("", answer.strip()).strip()
    if not text:
        raise FieldProblem("empty_answer", "the answer is empty")
    return text


def word_units(text: str) -> int:
    """Chinese length units: CJK ideographs and runs of Latin letters/digits."""
    return len(_ZH_UNIT.findall(text))


def length_units(text: str, language: Language) -> int:
    """Length in the language's own units: whitespace tokens (en), Chinese units (zh)."""
    return word_units(text) if language == "zh" else len(text.split())


def han_share(text: str) -> float:
    """Share of CJK ideographs among ideographs and Latin letters."""
    han = len(_HAN.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return han / (han + latin) if han + latin else 0.0


def language_ok(text: str, language: Language) -> bool:
    """Whether ``text`` is mainly in ``language`` (decision 10): CJK ideographs against Latin
    words, a word weighing two ideographs as in the length limits."""
    han = len(_HAN.findall(text))
    latin = 2 * len(_LATIN_WORD.findall(text))
    return han > latin if language == "zh" else latin > han

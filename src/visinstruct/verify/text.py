"""Text measures the verification checks share: tokens, numbers, names, yes/no words.

All of it is deliberately simple and language-aware in the two languages the engine writes:
English by words, Chinese by characters (no segmenter is needed to compare or shingle).
"""

from __future__ import annotations

import re
import unicodedata

from visinstruct.seeds._text import canonical, normalise

__all__ = [
    "is_no",
    "is_yes",
    "names_in",
    "numbers_in",
    "question_tokens",
    "tokens",
    "yes_no_of",
]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
_EN_NUMBERS = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "single": 1,
    "both": 2, "pair": 2, "once": 1, "twice": 2,
}  # fmt: skip
_ZH_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}  # fmt: skip
_ZH_NUMBER = re.compile(r"[零一二两三四五六七八九十]+")
_YES = {"yes", "y", "true", "correct", "right", "yeah", "是", "是的", "对", "对的", "正确", "有"}
_NO = {"no", "n", "false", "incorrect", "wrong", "否", "不是", "不", "不对", "错", "错误", "没有"}
# Capitalised words that are not names however they are written.
_NOT_NAMES = frozenset(
    str.split(
        "i a an the this that these those it its there here he she they we you yes no not and or "
        "but in on at of to for with by from as is are was were be been what which who where when "
        "why how image picture photo photograph left right top bottom center centre front back"
    )
)


def tokens(text: str) -> list[str]:
    """Words of ``text`` after :func:`normalise`; each Chinese character is a token."""
    return _TOKEN.findall(normalise(text))


_AUXILIARIES = frozenset(
    ["is", "are", "was", "were", "am", "be", "been", "being", "does", "do", "did"]
)
_SAME_WORD = {"which": "what", "color": "colour", "colors": "colours", "gray": "grey"}


def _stem(word: str) -> str:
    """A light English stem ("sitting", "sits" -> "sit"; "birds" -> "bird"): enough to
    match inflections in paraphrases without a dictionary."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and word.isascii():
            word = word[: -len(suffix)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]
            break
    return word


def question_tokens(text: str) -> set[str]:
    """The tokens that carry a question's meaning: :func:`canonical` drops articles, fillers
    and "image" synonyms; auxiliaries go too, and words are lightly stemmed, so two wordings
    of one question share (nearly) all of them."""
    words = _TOKEN.findall(canonical(text)) or tokens(text)
    return {_stem(_SAME_WORD.get(w, w)) for w in words if w not in _AUXILIARIES}


def _zh_value(numeral: str) -> int | None:
    """一 → 1, 十二 → 12, 三十五 → 35; None for numerals past 99 (rare in answers)."""
    if "十" not in numeral:
        return _ZH_DIGIT.get(numeral) if len(numeral) == 1 else None
    tens, _, ones = numeral.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    value = (_ZH_DIGIT.get(tens, -100) if tens else 1) * 10 + (
        _ZH_DIGIT.get(ones, -100) if ones else 0
    )
    return value if value >= 0 else None


def _canonical_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def numbers_in(text: str) -> set[str]:
    """Every number ``text`` states, as digits: "3", "three", "三" and "1,000" all count."""
    found = {_canonical_number(float(m.replace(",", ""))) for m in _DIGITS.findall(text)}
    folded = unicodedata.normalize("NFKC", text).casefold()
    for word in re.findall(r"[a-z]+", folded):
        if word in _EN_NUMBERS:
            found.add(str(_EN_NUMBERS[word]))
    for numeral in _ZH_NUMBER.findall(text):
        value = _zh_value(numeral)
        if value is not None:
            found.add(str(value))
    return found


def names_in(text: str) -> set[str]:
    """Words written as names (capitalised mid-sentence, ALL CAPS, or with inner capitals and
    digits such as "iPhone 15"), lower-cased. The first word of a sentence is a name only when
    its shape says so, since capitals there say nothing."""
    names: set[str] = set()
    sentence_start = True
    for match in re.finditer(r"[A-Za-z][A-Za-z0-9'’\-]*|[.!?:;]", text):
        word = match.group()
        if word in ".!?:;":
            sentence_start = True
            continue
        shaped = (word.isupper() and len(word) >= 2) or any(c.isupper() for c in word[1:])
        capital = word[0].isupper() and not sentence_start
        if (shaped or capital) and word.lower() not in _NOT_NAMES:
            names.add(word.lower().strip("'’-"))
        sentence_start = False
    return names


def yes_no_of(text: str) -> str | None:
    """ "yes" or "no" when ``text`` starts with a yes or no word (either language), else None."""
    plain = unicodedata.normalize("NFKC", text).strip(" \t\r\n*_`\"'“”‘’()[]").casefold()
    first = re.split(r"[\s,.!;:，。！；：、]", plain, maxsplit=1)[0]
    if first in _YES:
        return "yes"
    if first in _NO:
        return "no"
    if plain.startswith(("不是", "没有", "不对")):
        return "no"
    if plain.startswith(("是", "对", "有")):
        return "yes"
    return None


def is_yes(text: str) -> bool:
    return yes_no_of(text) == "yes"


def is_no(text: str) -> bool:
    return yes_no_of(text) == "no"


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None

"""Text helpers for seed questions: placeholders, script detection and similarity.

Kept apart from the validator so the importer and tests can reuse the exact same notion of
"the same question" that the validator enforces.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "NEAR_DUPLICATE_JACCARD",
    "canonical",
    "first_cjk",
    "has_cjk_ideograph",
    "jaccard_from",
    "normalise",
    "placeholder_errors",
    "skeleton",
    "trigram_jaccard",
    "trigrams",
]

# Character trigrams alone let the commonest trivial rewordings through ("the photo" -> "this
# picture" scores about 0.6), so similarity is also measured on :func:`canonical`, which erases
# exactly those words. Pairs used to tune both are in tests/seeds/test_validate.py.
NEAR_DUPLICATE_JACCARD = 0.85

# Words that change no seed's meaning: articles, demonstratives, "image" synonyms, fillers.
# Prepositions are dropped too: "the cup on the table" and "the cup under the table" still
# differ, because "under" is kept.
_EN_SYNONYMS = {
    "picture": "image", "photo": "image", "photograph": "image", "pic": "image", "img": "image",
    "pictures": "images", "photos": "images", "photographs": "images", "pics": "images",
}  # fmt: skip
_EN_FILLERS = frozenset({
    "a", "an", "the", "this", "that", "these", "those",
    "in", "of", "on", "at", "from", "for", "to", "within", "inside",
    "shown", "depicted", "displayed", "presented", "given", "provided",
    "please", "overall", "exactly", "really", "clearly", "general", "detail", "detailed",
    "briefly",
})  # fmt: skip
_ZH_REWRITES = (
    (re.compile("图片|图像|照片|相片|画面|图画|影像"), "图"),
    (re.compile("这张|这幅|这个|这些|该|此|本"), ""),
    (re.compile("整体上|整体|总体|具体地|具体|详细地|详细|请|的|地|了|呢|吗|所"), ""),
)

_ALTERNATIVE_SPLIT = re.compile(r"[/／]")
_PLACEHOLDER = re.compile(r"<[^<>]*>")
# A private-use character survives NFKC and punctuation stripping, so every placeholder
# collapses to the same token whatever its content.
_SLOT = "\ue000"
_IDEOGRAPH_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)
# Punctuation and full-width forms count as CJK too when checking an English entry: a "？"
# there is a copy-paste slip from the Chinese column.
_CJK_EXTRA_RANGES = (
    (0x3000, 0x303F),
    (0x3040, 0x30FF),
    (0xAC00, 0xD7AF),
    (0xFF00, 0xFFEF),
)


def _char_class(*ranges: tuple[int, int]) -> re.Pattern[str]:
    """One character of ``ranges``: the regex engine tests a whole seed file's text at C
    speed, where a Python test per character was a tenth of loading the bank."""
    inside = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges)
    return re.compile(f"[{inside}]")


_IDEOGRAPH = _char_class(*_IDEOGRAPH_RANGES)
_CJK = _char_class(*_IDEOGRAPH_RANGES, *_CJK_EXTRA_RANGES)


def has_cjk_ideograph(text: str) -> bool:
    """Whether ``text`` holds at least one Chinese character (what makes a ``zh`` entry)."""
    return _IDEOGRAPH.search(text) is not None


def first_cjk(text: str) -> str | None:
    """The first CJK ideograph, kana, hangul, CJK or full-width punctuation mark, if any."""
    found = _CJK.search(text)
    return found.group() if found else None


def placeholder_errors(text: str) -> list[str]:
    """What is wrong with the ``<...>`` placeholders of ``text`` (empty when nothing is).

    The generator LLM is told that ``<a/b>`` means "pick one" and ``<x>`` means "fill from the
    caption"; a stray bracket turns that instruction into noise, so every defect is named.
    """
    errors: list[str] = []
    start: int | None = None
    for pos, char in enumerate(text):
        if char == "<":
            if start is not None:
                errors.append(f"'<' at position {pos} opens inside the placeholder at {start}")
                return errors
            start = pos
        elif char == ">":
            if start is None:
                errors.append(f"'>' at position {pos} has no matching '<'")
                return errors
            errors.extend(_slot_errors(text[start + 1 : pos], start))
            start = None
    if start is not None:
        errors.append(f"'<' at position {start} is never closed with '>'")
    return errors


def _slot_errors(content: str, start: int) -> list[str]:
    if not content.strip():
        return [f"empty placeholder '<{content}>' at position {start}"]
    parts = _ALTERNATIVE_SPLIT.split(content)
    if len(parts) > 1 and any(not p.strip() for p in parts):
        return [f"empty alternative in '<{content}>' at position {start}"]
    return []


class _Blanking(dict[int, int]):
    """A :meth:`str.translate` table turning punctuation, symbols and separators (Unicode
    categories P*, S*, Z*) into spaces, filled one character at a time as text shows it:
    looking each character's category up on every call was a third of the validator's seed
    check (bench/RESULTS.md, issue 17), and a table of all code points would cost more to
    build than a run spends."""

    def __missing__(self, code: int) -> int:
        value = 0x20 if unicodedata.category(chr(code))[0] in "PSZ" else code
        self[code] = value
        return value


_BLANKING = _Blanking()


def normalise(text: str) -> str:
    """Case-, punctuation- and spacing-insensitive form used to compare two questions."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.translate(_BLANKING).split())


def skeleton(text: str) -> str:
    """:func:`normalise` with every placeholder's content erased.

    Two seeds with the same skeleton ask the same question about different slot values; they
    should be one seed with more alternatives.
    """
    return normalise(_PLACEHOLDER.sub(_SLOT, text))


def canonical(text: str) -> str:
    """:func:`skeleton` with articles, fillers and "image" synonyms erased (both languages).

    Two seeds with the same canonical form differ only in wording a reader would not notice.
    """
    words = [_EN_SYNONYMS.get(w, w) for w in skeleton(text).split()]
    joined = " ".join(w for w in words if w not in _EN_FILLERS)
    for pattern, replacement in _ZH_REWRITES:
        joined = pattern.sub(replacement, joined)
    return joined


def trigrams(text: str) -> set[str]:
    """The character trigrams :func:`trigram_jaccard` compares (a short string is its own)."""
    if len(text) < 3:
        return {text}
    return {text[i : i + 3] for i in range(len(text) - 2)}


def trigram_jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the character trigrams of two already normalised strings."""
    ga, gb = trigrams(a), trigrams(b)
    union = ga | gb
    return len(ga & gb) / len(union) if union else 1.0


def jaccard_from(
    ga: frozenset[str] | set[str], gb: frozenset[str] | set[str], floor: float
) -> float:
    """:func:`trigram_jaccard` of two strings given their :func:`trigrams`, or 0.0 when the set
    sizes alone put it below ``floor`` (the intersection is at most the smaller set, the union
    at least the larger, and division rounds monotonically): a caller comparing with ``floor``
    reaches the same verdict without intersecting sets that cannot be that alike."""
    small, large = (len(ga), len(gb)) if len(ga) <= len(gb) else (len(gb), len(ga))
    if not large:
        return 1.0  # two empty sets, as trigram_jaccard has it
    if small / large < floor:
        return 0.0
    common = len(ga & gb)
    return common / (small + large - common)

"""The caption quality gate: what a caption must pass before anything is built on it.

Everything downstream sees the caption, not the image, so a bad caption is worse than none:
a refusal turns into questions about refusing, a loop into twenty copies of one question. The
gate looks for the failures vision models actually produce — cut off at ``max_tokens``, too
short, a refusal or apology, talk about being an AI, the wrong language, a repetition loop —
and names the first one it finds (a refusal before shortness: "I can't help with that"
is better reported as a refusal than as too short). It is pure text work: no model, no
store.

The checks are deliberately conservative. A caption that says "I cannot read the small print"
is doing what the prompt asks (say when something is unclear), so refusal phrases count only
in the opening sentence, where a refusal puts them.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Literal

from visinstruct.records import Language

__all__ = ["GateFailure", "GateReason", "check_caption", "cjk_share", "detect_language"]

GateReason = Literal[
    "truncated", "too_short", "refusal", "ai_mention", "wrong_language", "repetition"
]

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile("[A-Za-z]")
# A Latin letter carries about a third of what a CJK character does; weigh them alike.
_LATIN_PER_CJK = 3.0
_LANGUAGE_SHARE = 0.5

_FIRST_SENTENCE = re.compile(r"^.{0,300}?(?:[.!?。！？\n]|$)", re.DOTALL)
_APOLOGY = re.compile(
    r"^\W*(?:i'?m sorry|i am sorry|sorry\b|i apologi[sz]e|my apologies|unfortunately,? i\b)"
    r"|^\W*(?:抱歉|对不起|很抱歉|非常抱歉|很遗憾|不好意思)",
    re.IGNORECASE,
)
_DECLINE = re.compile(
    r"\bi (?:can(?:no|')t|am unable to|'m unable to|won'?t|am not able to) "
    r"(?:help|assist|comply|fulfil|fulfill|provide (?:a|any|the) (?:description|caption)"
    r"|describe (?:this|the|that) (?:image|picture|photo)|process (?:this|the) (?:image|request))"
    r"|我(?:无法|不能|没办法)(?:帮助|协助|满足|完成|处理|回答|提供(?:该|这张|此)?(?:图片)?的?描述)",
    re.IGNORECASE,
)
# "I can't identify people, but the photo shows ..." declines a part and then does the job.
_CONTRAST = re.compile(r"\b(?:but|however)\b|但是|但|不过", re.IGNORECASE)
_AI_MENTION = re.compile(
    r"\bas an? (?:ai|artificial intelligence|language model|large language model)\b"
    r"|\bi(?:'m| am) (?:an? )?(?:ai|artificial intelligence|language model|large language model)"
    r"\b|\bas a (?:large )?(?:multimodal |vision )?(?:language )?model\b"
    r"|作为(?:一个|一名)?(?:人工智能|AI|ai|语言模型|大语言模型|大型语言模型)"
    r"|我是(?:一个)?(?:人工智能|AI|ai|语言模型|大语言模型)",
    re.IGNORECASE,
)
# A chunk of 2-100 characters repeated 4+ times in a row ("very very very very ...").
_TIGHT_LOOP = re.compile(r"(\w.{1,99}?)(?:\s*\1){3,}", re.DOTALL)
_UNITS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")
_NGRAM = 6
_MIN_NGRAMS = 30
_MIN_UNIQUE_NGRAMS = 0.6
_MIN_COMPRESSIBLE_CHARS = 400
_MIN_COMPRESSION = 0.2


@dataclass(frozen=True)
class GateFailure:
    """Why a caption was turned away; ``message`` is what the failed unit records."""

    reason: GateReason
    message: str

    def __str__(self) -> str:
        return f"caption gate: {self.reason}: {self.message}"


def cjk_share(text: str) -> float:
    """How much of ``text``'s letters are CJK, weighing a Latin letter as a third of one."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text)) / _LATIN_PER_CJK
    return 0.0 if cjk + latin == 0 else cjk / (cjk + latin)


def detect_language(text: str) -> Language:
    """``zh`` when CJK characters carry most of the text, else ``en``."""
    return "zh" if cjk_share(text) >= _LANGUAGE_SHARE else "en"


def _quote(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _repetition(text: str) -> str | None:
    tight = _TIGHT_LOOP.search(text)
    if tight and len(tight.group(0)) >= 20:
        return f"the same words repeat in a loop: {_quote(tight.group(0), 60)}"
    units = [u.lower() for u in _UNITS.findall(text)]
    grams = [tuple(units[i : i + _NGRAM]) for i in range(len(units) - _NGRAM + 1)]
    if len(grams) >= _MIN_NGRAMS:
        unique = len(set(grams)) / len(grams)
        if unique < _MIN_UNIQUE_NGRAMS:
            return f"only {unique:.0%} of its {_NGRAM}-word sequences are distinct (a loop)"
    data = text.encode("utf-8")
    if len(text) >= _MIN_COMPRESSIBLE_CHARS:
        ratio = len(zlib.compress(data, 9)) / len(data)
        if ratio < _MIN_COMPRESSION:
            return f"compresses to {ratio:.0%} of its size (mostly repeated text)"
    return None


def check_caption(
    text: str,
    *,
    min_chars: int,
    language: Language | None = None,
    finish_reason: str | None = None,
) -> GateFailure | None:
    """The first gate failure of ``text``, or None when it may be used.

    ``language`` None skips the language check (e.g. imported captions of either language);
    ``finish_reason`` is the model's, ``"length"`` meaning it was cut off at ``max_tokens``.
    """
    stripped = text.strip()
    if finish_reason == "length":
        return GateFailure(
            "truncated",
            "the reply was cut off at max_tokens (finish_reason=length); "
            "raise caption.max_tokens if captions are legitimately this long",
        )
    first = _FIRST_SENTENCE.match(stripped)
    opening = first.group(0) if first else stripped[:300]
    declines = _DECLINE.search(opening) and not _CONTRAST.search(opening)
    if _APOLOGY.search(opening) or declines:
        return GateFailure("refusal", f"the reply refuses or apologises: {_quote(opening)}")
    ai = _AI_MENTION.search(stripped)
    if ai:
        return GateFailure("ai_mention", f"the reply talks about being an AI: {_quote(ai[0])}")
    if len(stripped) < min_chars:
        return GateFailure(
            "too_short", f"{len(stripped)} characters, minimum {min_chars} (caption.min_chars)"
        )
    if language is not None and detect_language(stripped) != language:
        share = cjk_share(stripped)
        return GateFailure(
            "wrong_language",
            f"expected {language}, but {share:.0%} of the text is CJK (caption.language)",
        )
    loop = _repetition(stripped)
    if loop:
        return GateFailure("repetition", loop)
    return None

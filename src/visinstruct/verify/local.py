"""Cheap checks with no model: each reads one instruction and what is known of its image.

A check returns a :class:`CheckResult` or None when it does not apply (a Yes/No answer has no
numbers to ground; an image with neither caption nor OCR text has nothing to ground them in).
They run on every instruction on every ``verify`` (bench/verify.py measures the whole no-model
pass on English items; the Chinese name tagger that Chinese answers go through is not in that
figure). Each check's docstring says what it can and cannot see; tests/verify/planted_classes.py
measures recall and precision per check on the project's planted set.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from visinstruct.config import VerifyConfig
from visinstruct.generate.validate import LETTERS, han_share
from visinstruct.records import CheckResult, ImageRecord, Instruction
from visinstruct.seeds._text import normalise
from visinstruct.verify.text import (
    counts_in,
    foreign_han,
    foreign_latin,
    has_han,
    latin_words,
    names_in,
    numbers_in,
    option_tokens,
    tokens,
    yes_no_of,
    zh_names_in,
)

__all__ = [
    "LOCAL_CHECKS",
    "ImageContext",
    "answer_text",
    "check_grounding",
    "check_judgement_form",
    "check_language",
    "check_option_overlap",
    "check_type",
    "local_results",
]

_WH_EN = re.compile(r"^(what|which|who|whom|whose|where|when|why|how)\b")
_YN_EN = re.compile(
    r"^(is|are|was|were|am|do|does|did|can|could|will|would|should|shall|has|have|had|may|"
    r"might|must|isn't|aren't|doesn't|don't|didn't|wasn't|weren't|won't|can't)\b"
)
_WH_ZH = re.compile(r"什么|哪|谁|几|多少|怎么|怎样|为什么|如何|何")
_YN_ZH = re.compile(r"吗[？?]?$|么[？?]?$|是否|是不是|有没有|能否|可否|会不会|对不对|是.+还是")
_HOW_MANY = re.compile(r"^how (many|much)\b|多少|几[个只条张位人辆棵本块种次]")
# Questions and answers that count or compute: their numbers may be derived, not stated.
_ARITHMETIC = re.compile(
    r"how many|how much|total|in all|altogether|combined|\bsum\b|difference|more than|"
    r"fewer than|less than|times as|twice|\bhalf\b|average|percent|per cent|%|多少|"
    r"几[个只条张位人辆棵本块种次件]|一共|总共|合计|总计|相差|差距|之和|多出|少了|倍|平均|比.+[多少]"
)
# Questions whose short answer is a name, so that its first word counts as one ("Casio.").
_NAME_QUESTION = re.compile(
    r"^(who|whose|whom|where)\b|\b(which|what) (city|country|town|brand|make|company|team|"
    r"person|street|landmark|building|shop|store|restaurant)\b|\bname\b|\bcalled\b"
)
_JUDGEMENT_WORDS = {"en": ("Yes", "No"), "zh": ("是", "否")}
_HAN_CHARS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Fewer Chinese characters than this in the context and Chinese names go unchecked.
_LEAST_CHINESE_CONTEXT = 4
_SELF_REFERENCE = re.compile(
    r"all of the above|none of the above|both [a-d] and [a-d]|以上都|以上皆|以上均|都不是|都对",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ImageContext:
    """What the checks may ground an answer in: captions, OCR lines and prior knowledge."""

    image: ImageRecord
    captions: tuple[str, ...]

    @property
    def ocr_text(self) -> str:
        return "\n".join(line.text for line in self.image.ocr)

    @property
    def text(self) -> str:
        prior = " ".join(str(v) for v in self.image.prior.values())
        return "\n".join([*self.captions, self.ocr_text, prior])

    @property
    def has_text(self) -> bool:
        return bool(self.captions or self.image.ocr)

    @property
    def written(self) -> str:
        """What the image spells as written: its OCR text and prior (titles, labels, lines)."""
        prior = " ".join(str(v) for v in self.image.prior.values())
        return self.ocr_text + "\n" + prior

    @property
    def counted(self) -> set[str]:
        """Numbers known by counting, not stated: OCR lines, and the items of each prior list
        ("the poster holds 4 lines of text")."""
        sizes = [len(v) for v in self.image.prior.values() if isinstance(v, list)]
        return {str(n) for n in [*sizes, len(self.image.ocr)] if n}

    @property
    def spelled(self) -> set[str]:
        """Latin words a Chinese text may keep as written: those of the OCR text and prior,
        and the caption's names."""
        words = {w.lower() for w in latin_words(self.written)}
        return words | {n for c in self.captions for n in names_in(c)}


def answer_text(instruction: Instruction) -> str:
    """What the answer says: the correct option's text for multiple choice."""
    if instruction.kind == "multiple_choice":
        index = LETTERS.find(instruction.answer.strip()[:1].upper())
        if 0 <= index < len(instruction.choices):
            return instruction.choices[index]
    return instruction.answer


def _result(
    ins: Instruction, name: str, passed: bool, score: float, reason: str, **details: object
) -> CheckResult:
    return CheckResult(
        instruction_id=ins.id, name=name, passed=passed, score=round(score, 4), reason=reason,
        details=dict(details),
    )  # fmt: skip


def _derivable(value: str, known: set[str]) -> bool:
    """Whether ``value`` is a sum, difference, product or ratio of two known numbers: counting
    and arithmetic answers are grounded although the caption never states the result."""
    try:
        target = float(value)
        numbers = [float(k) for k in list(known)[:40]]
    except ValueError:
        return False
    for a, b in itertools.product(numbers, repeat=2):
        if target in (a + b, a - b, a * b) or (b and abs(a / b - target) < 1e-9):
            return True
    return False


def _missing_names(ins: Instruction, answer: str, context: str) -> tuple[int, list[str]]:
    """(names checked, names the context lacks). Latin names must be context words; Chinese
    names (jieba's tagger) must occur in the context's Chinese text, and are not checked when
    the context holds none (an English caption cannot ground 埃菲尔铁塔 without a translator)."""
    context_words = set(tokens(context))
    leading = ins.kind != "long_vqa" and _NAME_QUESTION.search(ins.question.lower()) is not None
    names = names_in(answer, leading=leading)
    missing = sorted(n for n in names if not set(tokens(n)) <= context_words)
    checked = len(names)
    if has_han(answer) and len(_HAN_CHARS.findall(context)) >= _LEAST_CHINESE_CONTEXT:
        compact = "".join(unicodedata.normalize("NFKC", context).split())
        zh_names = zh_names_in(answer)
        checked += len(zh_names)
        missing += sorted(n for n in zh_names if n not in compact)
    return checked, missing


def check_grounding(
    ins: Instruction, ctx: ImageContext, config: VerifyConfig
) -> CheckResult | None:
    """Numbers and names in the answer must appear in the caption, OCR text or prior.

    Sees: numbers in digits, English number words and Chinese numerals that count (三只, 两个,
    十二; not 一张 or 十分), and counts of OCR lines or prior list items; where the question or
    answer counts or computes (how many, total, 一共, 相差 ...), also sums, differences,
    products and ratios of two known numbers (so there a small wrong count often passes);
    Latin names by their capitals (a short answer's first word too, where a name is asked);
    Chinese names (people, places, organisations, brands) by jieba's tagger. Cannot see: a
    wrong claim made of ordinary words ("the dog is asleep"), names written in lower case,
    Chinese names when the context has no Chinese text (an English caption cannot ground
    埃菲尔铁塔), names jieba does not know, or a number whose arithmetic takes more than two
    steps.
    Judgements and the reasoning domains (``grounding_skip_domains``) are not checked.
    """
    if ins.kind == "judgement" or ins.domain in config.grounding_skip_domains:
        return None
    if not ctx.has_text:
        return None
    answer = answer_text(ins)
    context = ctx.text + "\n" + ins.question
    known_numbers = counts_in(context) | ctx.counted
    numbers = numbers_in(answer)
    computes = _ARITHMETIC.search(normalise(ins.question + " " + answer)) is not None
    missing = sorted(
        n
        for n in numbers
        if n not in known_numbers and not (computes and _derivable(n, known_numbers))
    )
    names_checked, missing_names = _missing_names(ins, answer, context)
    missing += missing_names
    checked = len(numbers) + names_checked
    if not checked:
        return None
    score = 1 - len(missing) / checked
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5])
        reason = f"the answer states {shown}, which the caption, OCR text and prior do not"
        return _result(ins, "grounding", False, score, reason, missing=missing)
    return _result(ins, "grounding", True, score, "every number and name is in the context")


def check_option_overlap(
    ins: Instruction, ctx: ImageContext, config: VerifyConfig
) -> CheckResult | None:
    """Two options of one question must not say the same thing.

    Sees: options equal up to case, punctuation, articles, plural -s, a trailing 的, and
    numbers written as words, digits or Chinese numerals (two cats / 2 cats, 两个 / 2个), and
    options sharing at least ``option_similarity`` of their tokens (Chinese: characters).
    Cannot see: synonyms (sofa / couch, 沙发 / 长椅), or one option containing another in
    other words ("red" / "crimson").
    """
    if ins.kind != "multiple_choice" or len(ins.choices) < 2:
        return None
    worst, pair = 0.0, (0, 1)
    keys = [option_tokens(c) for c in ins.choices]
    for i, j in itertools.combinations(range(len(ins.choices)), 2):
        a, b = set(keys[i]), set(keys[j])
        same = keys[i] == keys[j] or normalise(ins.choices[i]) == normalise(ins.choices[j])
        similarity = 1.0 if same else (len(a & b) / len(a | b) if a | b else 1.0)
        if similarity > worst:
            worst, pair = similarity, (i, j)
    if worst >= config.option_similarity:
        first, second = LETTERS[pair[0]], LETTERS[pair[1]]
        reason = f"options {first} and {second} say nearly the same (similarity {worst:.2f})"
        return _result(ins, "option_overlap", False, 1 - worst, reason, options=[first, second])
    return _result(ins, "option_overlap", True, 1 - worst, "the options are distinct")


def _question_type(question: str, language: str) -> str:
    """ "yes_no", "wh" or "other", from how the question is asked."""
    plain = normalise(question)
    if language == "zh" or has_han(question):
        if _YN_ZH.search(question.strip()):
            return "yes_no"
        return "wh" if _WH_ZH.search(question) else "other"
    words = re.sub(r"^[^a-z]+", "", plain)
    if _YN_EN.match(words):
        return "yes_no"
    return "wh" if _WH_EN.match(words) else "other"


def check_type(ins: Instruction, ctx: ImageContext, config: VerifyConfig) -> CheckResult | None:
    """The answer must be the kind of thing the question asks for.

    Sees: a Yes/No judgement or a bare Yes/No short answer to an open question (what, which,
    几, 什么 ...), and a count question whose short answer holds no count. Cannot see: an
    answer of the right type that answers something else ("red" to "what shape").
    """
    asked = _question_type(ins.question, ins.language)
    problem = None
    if ins.kind == "judgement" and asked == "wh":
        problem = "a Yes/No answer to an open question"
    elif ins.kind in ("short_vqa", "long_vqa"):
        said = yes_no_of(ins.answer)
        if asked == "wh" and said is not None and len(tokens(ins.answer)) <= 2:
            problem = "a bare Yes/No answer to an open question"
        elif (
            ins.kind == "short_vqa"
            and _HOW_MANY.search(normalise(ins.question))
            and not counts_in(ins.answer)
            and said != "no"
        ):
            problem = "a count question whose answer holds no number"
    if problem is None:
        return _result(ins, "answer_type", True, 1.0, f"{asked} question, {ins.kind} answer")
    return _result(ins, "answer_type", False, 0.0, problem, question_type=asked)


def _language_parts(ins: Instruction) -> dict[str, str]:
    """The parts of ``ins`` written in its language (judgement answers: the form check's)."""
    parts = {"the question": ins.question}
    if ins.kind in ("long_vqa", "short_vqa"):
        parts["the answer"] = ins.answer
    if ins.kind == "multiple_choice":
        parts.update({f"option {LETTERS[i]}": c for i, c in enumerate(ins.choices[:26])})
    return parts


def _wrong_language(text: str, language: str, ctx: ImageContext, known: set[str]) -> str | None:
    """Why ``text`` is not written in ``language``, or None when it is."""
    if language == "en":
        if han_share(text) > 0.3:
            return "is Chinese"
        stray = foreign_han(text, ctx.written)
        return f"holds Chinese ({'、'.join(stray[:3])})" if stray else None
    stray = foreign_latin(text, known)
    if stray:
        return f"holds English ({', '.join(stray[:3])})"
    return None


def check_language(ins: Instruction, ctx: ImageContext, config: VerifyConfig) -> CheckResult | None:
    """Question, answer and each option must be in the instruction's language.

    Sees, in Chinese items: English words, one alone included ("red" as the answer to a
    Chinese question, 一只cat), while allowing what Chinese writes as is: numbers, times
    (5:30), prices (¥25), units (kg, pm), single letters, brand- or name-shaped words (FRESH,
    iPhone), capitalised names inside Chinese prose, and any word the image's OCR text,
    prior or caption names spell. In English items: Chinese text that the OCR text or prior
    does not quote. Cannot see: a Chinese answer in pinyin or a misspelled English one, or
    a lower-case English word the OCR happens to spell.
    """
    known = set(ctx.spelled)
    if has_han(ins.question):
        known |= {w.lower() for w in latin_words(ins.question)}
    wrong = []
    for name, text in _language_parts(ins).items():
        why = _wrong_language(text, ins.language, ctx, known)
        if name == "the question" and ins.language == "zh" and not has_han(text):
            why = "is not Chinese"
        if why:
            wrong.append(f"{name} {why}")
    if wrong:
        language = "Chinese" if ins.language == "zh" else "English"
        reason = f"not all in {language}: " + "; ".join(wrong)
        return _result(ins, "language", False, 0.0, reason, parts=wrong)
    return _result(ins, "language", True, 1.0, f"all in {ins.language}")


def check_judgement_form(
    ins: Instruction, ctx: ImageContext, config: VerifyConfig
) -> CheckResult | None:
    """A judgement's answer must be exactly Yes or No (English) or 是 or 否 (Chinese).

    The generation stage only stores those, but imports, raw-output imports and reviewers'
    edits may not; this check sees the answer however it reached the store. Sees: anything
    else ("No idea", "yes", "Yes, it is.", "是的", "No" on a Chinese item). Cannot see:
    whether the Yes or No is right (the model checks' business).
    """
    if ins.kind != "judgement":
        return None
    words = _JUDGEMENT_WORDS[ins.language]
    answer = ins.answer.strip()
    if answer in words:
        return _result(ins, "judgement_form", True, 1.0, f"the answer is {answer}")
    said = yes_no_of(answer)
    if said is None or len(tokens(answer)) > 2:
        reason = f"the answer {answer[:60]!r} is not {words[0]} or {words[1]}"
    else:
        word = words[0] if said == "yes" else words[1]
        reason = f"the answer {answer[:60]!r} is not written as {word}"
    return _result(ins, "judgement_form", False, 0.0, reason, expected=list(words))


LocalCheck = Callable[[Instruction, ImageContext, VerifyConfig], "CheckResult | None"]
LOCAL_CHECKS: dict[str, tuple[str, LocalCheck]] = {
    "judgement_form": ("judgement_check", check_judgement_form),
    "grounding": ("grounding_check", check_grounding),
    "option_overlap": ("option_overlap_check", check_option_overlap),
    "answer_type": ("type_check", check_type),
    "language": ("language_check", check_language),
}
"""check name → (the VerifyConfig switch that turns it on, the check)."""


def local_results(
    ins: Instruction, ctx: ImageContext, config: VerifyConfig
) -> dict[str, CheckResult | None]:
    """Every local check's verdict on ``ins`` (None: switched off or not applicable)."""
    return {
        name: check(ins, ctx, config) if getattr(config, switch) else None
        for name, (switch, check) in LOCAL_CHECKS.items()
    }


def self_referencing(choices: list[str]) -> bool:
    """Whether an option points at other options ("all of the above", "both A and B"): such
    options cannot be reordered without changing what they mean."""
    return any(_SELF_REFERENCE.search(c) for c in choices)

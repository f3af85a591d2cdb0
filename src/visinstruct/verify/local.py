"""Cheap checks with no model: each reads one instruction and what is known of its image.

A check returns a :class:`CheckResult` or None when it does not apply (a Yes/No answer has no
numbers to ground; an image with neither caption nor OCR text has nothing to ground them in).
They run on every instruction on every ``verify``: a million take about a minute.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from visinstruct.config import VerifyConfig
from visinstruct.generate.validate import LETTERS, han_share
from visinstruct.records import CheckResult, ImageRecord, Instruction
from visinstruct.seeds._text import normalise
from visinstruct.verify.text import has_han, names_in, numbers_in, tokens, yes_no_of

__all__ = [
    "LOCAL_CHECKS",
    "ImageContext",
    "answer_text",
    "check_grounding",
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


def check_grounding(
    ins: Instruction, ctx: ImageContext, config: VerifyConfig
) -> CheckResult | None:
    """Numbers and names in the answer must appear in the caption, OCR text or prior."""
    if ins.kind == "judgement" or ins.domain in config.grounding_skip_domains:
        return None
    if not ctx.has_text:
        return None
    answer = answer_text(ins)
    context = ctx.text + "\n" + ins.question
    known_numbers = numbers_in(context)
    numbers = numbers_in(answer)
    missing = sorted(
        n for n in numbers if n not in known_numbers and not _derivable(n, known_numbers)
    )
    context_words = set(tokens(context))
    names = names_in(answer)
    missing += sorted(n for n in names if not set(tokens(n)) <= context_words)
    checked = len(numbers) + len(names)
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
    """Two options of one question must not say the same thing."""
    if ins.kind != "multiple_choice" or len(ins.choices) < 2:
        return None
    worst, pair = 0.0, (0, 1)
    for i, j in itertools.combinations(range(len(ins.choices)), 2):
        a, b = set(tokens(ins.choices[i])), set(tokens(ins.choices[j]))
        same = normalise(ins.choices[i]) == normalise(ins.choices[j])
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
    """The answer must be the kind of thing the question asks for."""
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
            and not numbers_in(ins.answer)
            and said != "no"
        ):
            problem = "a count question whose answer holds no number"
    if problem is None:
        return _result(ins, "answer_type", True, 1.0, f"{asked} question, {ins.kind} answer")
    return _result(ins, "answer_type", False, 0.0, problem, question_type=asked)


def check_language(ins: Instruction, ctx: ImageContext, config: VerifyConfig) -> CheckResult | None:
    """Question, answer and options must be in the instruction's language."""
    parts = {"question": ins.question}
    if ins.kind in ("long_vqa", "short_vqa"):
        parts["answer"] = ins.answer
    if ins.kind == "multiple_choice":
        parts["options"] = " ".join(ins.choices)
    wrong = []
    for name, text in parts.items():
        share = han_share(text)
        latin_words = len(re.findall(r"[A-Za-z]{2,}", text))
        english_wanted = ins.language == "en"
        if (english_wanted and share > 0.3) or (
            not english_wanted and share < 0.3 and (name == "question" or latin_words >= 2)
        ):
            wrong.append(name)
    if wrong:
        reason = (
            f"the {' and '.join(wrong)} not in {'Chinese' if ins.language == 'zh' else 'English'}"
        )
        return _result(ins, "language", False, 0.0, reason.replace(" not", " is not", 1))
    return _result(ins, "language", True, 1.0, f"all in {ins.language}")


LocalCheck = Callable[[Instruction, ImageContext, VerifyConfig], "CheckResult | None"]
LOCAL_CHECKS: dict[str, tuple[str, LocalCheck]] = {
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

"""Judge raw items: keep the well-formed ones, reject the rest with a named reason.

Every rejection carries a short code (``mc_option_count``, ``leakage``, ...) and a message, so
a user can count reasons across a run and a repair turn can tell the model what to fix. Checks
per item come first (the item alone decides); then checks over the reply (duplicates, counts
beyond what was asked, Yes/No balance of judgement sets).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from visinstruct.generate.parse import FULLWIDTH, RawItem
from visinstruct.records import Kind, Language
from visinstruct.seeds._text import canonical, normalise, trigram_jaccard

__all__ = [
    "LETTERS",
    "Draft",
    "ItemProblem",
    "Reject",
    "Rules",
    "Verdict",
    "check_item",
    "han_share",
    "infer_kind",
    "judge_items",
    "length_units",
    "word_units",
]

LETTERS = "ABCD"
_YES = {"yes", "y", "true", "correct", "right", "是", "是的", "对", "对的", "正确", "有"}
_NO = {"no", "n", "false", "incorrect", "wrong", "否", "不是", "不", "不对", "错", "错误", "没有"}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*")
_PLACEHOLDER = re.compile(r"<[^<>\n]{1,60}>")
_CLOSERS = " \t\r\n\"'”’)）]】」』*_"
_ANSWER_PREFIX = re.compile(
    r"^\s*(?:the\s+)?(?:correct\s+|right\s+)?(?:answer|option|choice)(?:\s+is)?\s*[:：]?\s*|"
    r"^\s*(?:正确)?(?:答案|选项)(?:是|为)?\s*[:：]?\s*|^\s*选\s*",
    re.IGNORECASE,
)
_ANSWER_LETTER = re.compile(r"^[\(\[]?([A-Za-z])(?:[\)\].:,、\s]|$)")
_LEAKS = re.compile(
    r"according to the (?:given |provided |image )?(?:description|caption|text|information|"
    r"context)|(?:mentioned|described|stated|noted|given) in the (?:description|caption|text|"
    r"context|passage)|the (?:image )?description (?:says|said|states|mentions|notes|"
    r"indicates)|based on the (?:given |provided )?(?:description|caption|text|information)|"
    r"(?:given|provided) (?:description|caption)|in the description|as described above|"
    r"描述中|根据(?:图片|图像|所给|提供的)?(?:的)?描述|描述(?:里|中)?(?:提到|所述|说)|"
    r"文中提到|如描述|根据(?:所给|提供的)(?:文本|文字|信息)|根据(?:图片|图像)?说明",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rules:
    """The thresholds validators use (``generate.*`` in the config)."""

    short_max_words: int = 8
    long_min_chars: int = 80
    reject_seed_copies: bool = True
    seed_copy_similarity: float = 0.85
    judgement_balance: bool = True

    @classmethod
    def of(cls, generate: Any) -> Rules:
        """Rules from a :class:`~visinstruct.config.GenerateConfig`."""
        return cls(
            short_max_words=generate.short_max_words,
            long_min_chars=generate.long_min_chars,
            reject_seed_copies=generate.reject_seed_copies,
            seed_copy_similarity=generate.seed_copy_similarity,
            judgement_balance=generate.judgement_balance,
        )

    def settings(self) -> dict[str, Any]:
        return {
            "short_max_words": self.short_max_words,
            "long_min_chars": self.long_min_chars,
            "reject_seed_copies": self.reject_seed_copies,
            "seed_copy_similarity": self.seed_copy_similarity,
            "judgement_balance": self.judgement_balance,
        }


@dataclass(frozen=True)
class Draft:
    """A checked instruction, not yet a record (the stage adds ids and provenance)."""

    kind: Kind
    question: str
    choices: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class Reject:
    code: str
    message: str
    kind: str | None
    raw: str

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Verdict:
    drafts: list[Draft] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    def extend(self, other: Verdict) -> None:
        self.drafts.extend(other.drafts)
        self.rejects.extend(other.rejects)


class ItemProblem(ValueError):
    """Why one item was rejected: a short code and a message."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


# -- measures -------------------------------------------------------------------------------


def han_share(text: str) -> float:
    """Share of Chinese characters among the letters of ``text`` (0 when it has none)."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    return han / (han + latin) if han + latin else 0.0


def word_units(text: str) -> int:
    """Words, with Chinese counted at two characters a word (Chinese words average ~1.7)."""
    return len(_WORD.findall(text)) + math.ceil(len(_HAN.findall(text)) / 2)


def length_units(text: str) -> int:
    """Characters, with a Chinese character counted as three Latin ones (same information)."""
    han = len(_HAN.findall(text))
    return len(text.strip()) + 2 * han


# -- kinds ----------------------------------------------------------------------------------

_KIND_ALIASES: Mapping[str, Kind] = {
    "judgement": "judgement", "judgment": "judgement", "judge": "judgement",
    "true_false": "judgement", "true_or_false": "judgement", "yes_no": "judgement",
    "判断": "judgement", "判断题": "judgement",
    "multiple_choice": "multiple_choice", "multiplechoice": "multiple_choice",
    "choice": "multiple_choice", "mc": "multiple_choice", "mcq": "multiple_choice",
    "select": "multiple_choice", "选择题": "multiple_choice", "单项选择题": "multiple_choice",
    "单选题": "multiple_choice",
    "long_vqa": "long_vqa", "longvqa": "long_vqa", "long": "long_vqa", "long_qa": "long_vqa",
    "lqa": "long_vqa", "长问答": "long_vqa", "长回答问题": "long_vqa",
    "short_vqa": "short_vqa", "shortvqa": "short_vqa", "short": "short_vqa",
    "short_qa": "short_vqa", "sqa": "short_vqa", "短问答": "short_vqa", "短回答问题": "short_vqa",
}  # fmt: skip


def _yes_no(answer: str) -> str | None:
    """Whether ``answer`` starts with a yes word ("yes") or a no word ("no"), else None."""
    plain = answer.translate(FULLWIDTH).strip(" \t\r\n{}[]\"'“”‘’`*").lower()
    first = re.split(r"[\s,.!;:，。！；：、]", plain, maxsplit=1)[0].strip("\"'“”")
    if first in _YES:
        return "yes"
    if first in _NO:
        return "no"
    return None


def infer_kind(item: RawItem, short_max_words: int = 8) -> Kind:
    """The kind an item is, from what it says or, failing that, from its shape.

    Raises :class:`ItemProblem` for a kind name that is none of the four.
    """
    if item.kind:
        name = re.sub(r"[\s\-]+", "_", item.kind.strip().lower())
        if name not in _KIND_ALIASES:
            raise ItemProblem("unknown_kind", f"unknown kind {item.kind!r}")
        return _KIND_ALIASES[name]
    options = [o for o in item.choices or () if _yes_no(o) is None]
    if len(options) >= 2:
        return "multiple_choice"
    if _yes_no(item.answer) is not None:
        return "judgement"
    if (
        _ANSWER_LETTER.match(item.answer.translate(FULLWIDTH).strip())
        and len(item.answer.strip()) <= 3
    ):
        return "multiple_choice"
    long = word_units(item.answer) > 2 * short_max_words or item.answer.count(". ") >= 1
    return "long_vqa" if long else "short_vqa"


# -- per-item checks ------------------------------------------------------------------------


def _ends_sensibly(question: str, kind: Kind) -> bool:
    tail = question.rstrip(_CLOSERS)[-1:]
    return tail in "?？" or (kind == "long_vqa" and tail in ".。!！:：")


def _language(item: Draft, language: Language) -> str | None:
    """What is in the wrong language, if anything."""
    texts = {"question": item.question}
    if item.kind == "long_vqa":
        texts["answer"] = item.answer
    for name, text in texts.items():
        share = han_share(text)
        if language == "zh" and share < 0.3:
            return f"the {name} is not in Chinese"
        if language == "en" and share > 0.3:
            return f"the {name} is not in English"
    zh_short = item.kind == "short_vqa" and language == "zh"
    if zh_short and not _HAN.search(item.answer) and len(_WORD.findall(item.answer)) >= 2:
        return "the answer is not in Chinese"
    if item.kind == "multiple_choice" and item.choices:
        shares = [han_share(c) for c in item.choices]
        if (
            language == "zh"
            and all(s == 0 for s in shares)
            and all(len(_WORD.findall(c)) >= 2 for c in item.choices)
        ):
            return "the options are not in Chinese"
        if language == "en" and all(s > 0.5 for s in shares):
            return "the options are not in English"
    return None


def _mc_answer(answer: str, options: tuple[str, ...]) -> str:
    plain = answer.translate(FULLWIDTH).strip()
    plain = _ANSWER_PREFIX.sub("", plain).strip(" \t\r\n{}\"'“”‘’`*")
    keyed = {normalise(o): LETTERS[i] for i, o in enumerate(options)}
    whole = keyed.get(normalise(plain))
    if whole is not None:
        return whole
    match = _ANSWER_LETTER.match(plain)
    if match is None:
        raise ItemProblem("mc_answer_unmapped", f"answer {answer!r} names none of the options")
    letter = match.group(1).upper()
    if letter not in LETTERS:
        raise ItemProblem("mc_answer_unmapped", f"answer {answer!r} is not a letter A-D")
    rest = normalise(plain[match.end() :])
    if rest and rest in keyed and keyed[rest] != letter:
        raise ItemProblem(
            "mc_answer_conflict",
            f"answer {answer!r} gives letter {letter} but the text of option {keyed[rest]}",
        )
    return letter


def _check_mc(item: RawItem) -> tuple[tuple[str, ...], str]:
    options = item.choices or ()
    if len(options) != 4:
        raise ItemProblem("mc_option_count", f"needs exactly 4 options, got {len(options)}")
    if any(not normalise(o) for o in options):
        raise ItemProblem("mc_empty_option", "an option is empty")
    if len({normalise(o) for o in options}) != 4:
        raise ItemProblem("mc_duplicate_options", "the 4 options are not all different")
    return options, _mc_answer(item.answer, options)


def _check_answer(kind: Kind, item: RawItem, language: Language, rules: Rules) -> Draft:
    choices: tuple[str, ...] = ()
    answer = item.answer
    if kind == "judgement":
        said = _yes_no(answer)
        if said is None:
            raise ItemProblem("judgement_answer", f"answer {answer!r} is not Yes or No")
        words = {"en": ("Yes", "No"), "zh": ("是", "否")}[language]
        answer = words[0] if said == "yes" else words[1]
    elif kind == "multiple_choice":
        choices, answer = _check_mc(item)
    elif kind == "short_vqa" and word_units(answer) > rules.short_max_words:
        raise ItemProblem(
            "short_too_long",
            f"a short answer has at most {rules.short_max_words} words, this has "
            f"{word_units(answer)}",
        )
    elif kind == "long_vqa" and length_units(answer) < rules.long_min_chars:
        raise ItemProblem(
            "long_too_short",
            f"a long answer has at least {rules.long_min_chars} characters, this has "
            f"{length_units(answer)}",
        )
    return Draft(kind=kind, question=item.question, choices=choices, answer=answer)


def _seed_copy(question: str, seeds: Sequence[str], threshold: float) -> str | None:
    mine = canonical(question)
    for seed in seeds:
        if trigram_jaccard(mine, canonical(seed)) >= threshold:
            return seed
    return None


def check_item(
    item: RawItem,
    language: Language,
    rules: Rules,
    *,
    expected: Kind | None = None,
    seeds: Sequence[str] = (),
) -> Draft:
    """The checked draft of one item; raises :class:`ItemProblem` naming what is wrong."""
    kind = infer_kind(item, rules.short_max_words) if item.kind or expected is None else expected
    if not re.search(r"\w", item.question):
        raise ItemProblem("empty_question", "the question is empty")
    if not item.answer.strip():
        raise ItemProblem("empty_answer", "the answer is empty")
    everything = " ".join([item.question, item.answer, *(item.choices or ())])
    if _PLACEHOLDER.search(everything):
        raise ItemProblem("unfilled_placeholder", "a <placeholder> was left unfilled")
    leak = _LEAKS.search(everything)
    if leak:
        raise ItemProblem("leakage", f"refers to the pipeline's inputs ({leak.group(0)!r})")
    if not _ends_sensibly(item.question, kind):
        ending = "'?'" if kind != "long_vqa" else "'?' or a full stop"
        raise ItemProblem("question_ending", f"a {kind} question should end with {ending}")
    draft = _check_answer(kind, item, language, rules)
    wrong = _language(draft, language)
    if wrong:
        raise ItemProblem("language_mismatch", wrong)
    if rules.reject_seed_copies:
        copied = _seed_copy(item.question, seeds, rules.seed_copy_similarity)
        if copied is not None:
            raise ItemProblem("seed_copy", f"near-copy of the seed question {copied!r}")
    return draft


# -- the reply ------------------------------------------------------------------------------


def judge_items(
    items: Sequence[RawItem],
    language: Language,
    rules: Rules,
    *,
    counts: Mapping[Kind, int] | None = None,
    expected: Kind | None = None,
    seeds: Sequence[str] = (),
) -> Verdict:
    """Checked drafts of a reply's items, at most ``counts[kind]`` of each kind (no cap when
    ``counts`` is None), judgement answers capped at half a set each when balance is on."""
    verdict = Verdict()
    seen: set[tuple[str, str]] = set()
    taken: dict[str, int] = {}
    for item in items:
        try:
            draft = check_item(item, language, rules, expected=expected, seeds=seeds)
            _fits(draft, counts, taken, seen, rules)
        except ItemProblem as problem:
            kind = item.kind if item.kind else expected
            verdict.rejects.append(Reject(problem.code, str(problem), kind, item.raw))
            continue
        seen.add((draft.kind, normalise(draft.question)))
        taken[draft.kind] = taken.get(draft.kind, 0) + 1
        if draft.kind == "judgement":
            taken[f"judgement:{draft.answer}"] = taken.get(f"judgement:{draft.answer}", 0) + 1
        verdict.drafts.append(draft)
    return verdict


def _fits(
    draft: Draft,
    counts: Mapping[Kind, int] | None,
    taken: Mapping[str, int],
    seen: set[tuple[str, str]],
    rules: Rules,
) -> None:
    if (draft.kind, normalise(draft.question)) in seen:
        raise ItemProblem("duplicate", "the same question appears twice in the reply")
    if counts is None:
        return
    wanted = counts.get(draft.kind, 0)
    if wanted == 0:
        raise ItemProblem("unrequested_kind", f"no {draft.kind} question was asked for")
    if taken.get(draft.kind, 0) >= wanted:
        raise ItemProblem("over_count", f"more than the {wanted} {draft.kind} asked for")
    if draft.kind == "judgement" and rules.judgement_balance:
        cap = math.ceil(wanted / 2)
        if taken.get(f"judgement:{draft.answer}", 0) >= cap:
            raise ItemProblem(
                "judgement_unbalanced",
                f"already {cap} judgement questions answered {draft.answer} of the {wanted}",
            )

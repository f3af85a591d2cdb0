"""Judge raw items by the rule book (docs: PARSING.md): store an item only when every field is
unambiguous, refuse the rest with a named reason.

Each rule is one named check below, in the order they run; each refusal carries its check's
reason code (``leakage``, ``mc_answer_unmapped``, ...) and a message, so a user can count
reasons across a run and a repair turn can tell the model what to fix. Checks on one item come
first; then the reply-level ones: duplicates (decision 12) and, for the generation stage, the
requested counts and the Yes/No balance of a judgement set.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from visinstruct.generate.fields import (
    LETTERS,
    YES_NO,
    FieldProblem,
    han_share,
    judgement_answer,
    judgement_options_ok,
    language_ok,
    length_units,
    mc_answer,
    mc_options,
    vqa_answer,
    word_units,
)
from visinstruct.generate.parse import RawItem
from visinstruct.records import KINDS, Kind, Language
from visinstruct.seeds._text import canonical, jaccard_from, trigrams

__all__ = [
    "CHECKS",
    "DEFAULT_EXTRA_LEAKS",
    "LEAK_PHRASES",
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

LEAK_PHRASES = (
    "according to the description",
    "as mentioned in the caption",
    "the text says",
    "based on the provided description",
    "根据描述",
    "描述中提到",
)
# Wordings the rule book leaves to configuration; the default extras (``generate.leak_phrases``).
DEFAULT_EXTRA_LEAKS = (
    "the description says",
    "the caption says",
    "as mentioned in the text",
    "as mentioned in the description",
    "mentioned in the description",
    "based on the given description",
    "according to the caption",
    "described in the caption",
    "根据所给描述",
    "描述里提到",
)
_KIND_NAMES = {
    "judgement": "judgement",
    "judgment": "judgement",
    "multiplechoice": "multiple_choice",
    "mc": "multiple_choice",
    "shortvqa": "short_vqa",
    "short": "short_vqa",
    "longvqa": "long_vqa",
    "long": "long_vqa",
}


@dataclass(frozen=True)
class Rules:
    """The thresholds the checks use (``generate.*`` in the config)."""

    short_max_words: int = 8
    long_min_words: int = 20
    reject_seed_copies: bool = True
    seed_copy_similarity: float = 0.85
    judgement_balance: bool = True
    leak_phrases: tuple[str, ...] = DEFAULT_EXTRA_LEAKS

    @classmethod
    def of(cls, generate: Any) -> Rules:
        """Rules from a :class:`~visinstruct.config.GenerateConfig`."""
        return cls(
            short_max_words=generate.short_max_words,
            long_min_words=generate.long_min_words,
            reject_seed_copies=generate.reject_seed_copies,
            seed_copy_similarity=generate.seed_copy_similarity,
            judgement_balance=generate.judgement_balance,
            leak_phrases=tuple(generate.leak_phrases),
        )

    def settings(self) -> dict[str, Any]:
        return {
            "short_max_words": self.short_max_words,
            "long_min_words": self.long_min_words,
            "reject_seed_copies": self.reject_seed_copies,
            "seed_copy_similarity": self.seed_copy_similarity,
            "judgement_balance": self.judgement_balance,
            "leak_phrases": list(self.leak_phrases),
        }


@dataclass(frozen=True)
class Draft:
    """A checked instruction, not yet a record (the stage adds ids and provenance).

    ``choices`` is what the store keeps: the four options of a multiple-choice item, empty for
    the other kinds (a judgement's Yes/No pair is implied by its kind and language).
    """

    kind: Kind
    question: str
    choices: tuple[str, ...]
    answer: str

    @property
    def options(self) -> tuple[str, ...]:
        """The rule book's normalised options: a judgement gets its language's Yes/No pair."""
        if self.kind == "judgement":
            return YES_NO["zh"] if self.answer in YES_NO["zh"] else YES_NO["en"]
        return self.choices


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


class ItemProblem(FieldProblem):
    """Why one item was refused: a reason code and a message."""


@dataclass
class _Item:
    """An item while it is being checked; checks fill in the normalised fields."""

    raw: RawItem
    language: Language
    rules: Rules
    kind: Kind = "short_vqa"
    question: str = ""
    choices: tuple[str, ...] = ()
    answer: str = ""


# -- the checks, in order ---------------------------------------------------------------------


def check_reader(item: _Item) -> None:
    """The reader already refused the item's structure (decisions 2, 3, 11)."""
    if item.raw.problem is not None:
        raise ItemProblem(*item.raw.problem)


def check_question(item: _Item) -> None:
    item.question = item.raw.question.strip()
    if not re.search(r"\w", item.question):
        raise ItemProblem("empty_question", "the question is empty")


def check_answer_given(item: _Item) -> None:
    if not item.raw.answer.strip():
        raise ItemProblem("empty_answer", "the answer is empty")


def check_leakage(item: _Item) -> None:
    """Phrases that refer to the pipeline's inputs instead of the picture."""
    text = " ".join([item.raw.question, item.raw.answer, *(item.raw.choices or ())])
    folded = " ".join(text.split()).casefold()
    for phrase, needle in _leak_needles(item.rules.leak_phrases):
        if needle in folded:
            raise ItemProblem("leakage", f"refers to the pipeline's inputs ({phrase!r})")


@functools.lru_cache(maxsize=64)
def _leak_needles(extra: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each leak phrase with its folded form, folded once per rule set rather than per item."""
    return tuple((p, " ".join(p.split()).casefold()) for p in (*LEAK_PHRASES, *extra) if p)


def check_language(item: _Item) -> None:
    """Decision 10: the question, and a long answer, mainly in the requested language."""
    name = "Chinese" if item.language == "zh" else "English"
    if not language_ok(item.question, item.language):
        raise ItemProblem("language_mismatch", f"the question is not mainly {name}")
    if item.kind == "long_vqa" and not language_ok(item.raw.answer, item.language):
        raise ItemProblem("language_mismatch", f"the long answer is not mainly {name}")


def check_fields(item: _Item) -> None:
    """Decisions 5-9: the kind's options and answer."""
    raw, language = item.raw, item.language
    if item.kind == "multiple_choice":
        item.choices = mc_options(raw.choices)
        item.answer = mc_answer(raw.answer, item.choices, number=raw.answer_number)
    elif item.kind == "judgement":
        if not judgement_options_ok(raw.choices, language):
            pair = "是/否" if language == "zh" else "Yes/No"
            raise ItemProblem("judgement_options", f"a judgement's options must be {pair}")
        item.answer = judgement_answer(raw.answer, language)
    else:
        item.answer = vqa_answer(raw.answer)


def check_length(item: _Item) -> None:
    """The length limits, in English words or Chinese units (twice the words)."""
    scale = 2 if item.language == "zh" else 1
    size = length_units(item.answer, item.language)
    unit = "units" if item.language == "zh" else "words"
    if item.kind == "short_vqa" and size > item.rules.short_max_words * scale:
        limit = item.rules.short_max_words * scale
        raise ItemProblem("short_too_long", f"{size} {unit}; a short answer has at most {limit}")
    if item.kind == "long_vqa" and size < item.rules.long_min_words * scale:
        limit = item.rules.long_min_words * scale
        raise ItemProblem("long_too_short", f"{size} {unit}; a long answer needs {limit}")


CHECKS: tuple[Callable[[_Item], None], ...] = (
    check_reader,
    check_question,
    check_answer_given,
    check_leakage,
    check_language,
    check_fields,
    check_length,
)


# -- one item ---------------------------------------------------------------------------------


def infer_kind(item: RawItem, expected: Kind | None = None) -> Kind:
    """The item's kind: the one it states, else the one asked for; never guessed."""
    if item.kind:
        name = _KIND_NAMES.get(re.sub(r"[\s_-]", "", item.kind.lower()))
        if name is None:
            raise ItemProblem("unknown_kind", f"unknown kind {item.kind!r}")
        return name  # type: ignore[return-value]
    if expected is None:
        raise ItemProblem("unknown_kind", "the item names no kind and none was asked for")
    return expected


@functools.lru_cache(maxsize=1 << 14)
def _seed_trigrams(seed: str) -> frozenset[str]:
    """A seed question's trigrams, computed once per seed text: every item of every unit is
    compared with its unit's seeds, and a run's seeds come from one bank of a few thousand."""
    return frozenset(trigrams(canonical(seed)))


def _seed_copy(question: str, seeds: Sequence[str], threshold: float) -> str | None:
    """The first seed whose canonical trigram Jaccard with ``question`` reaches ``threshold``.

    The same verdict as ``trigram_jaccard(canonical(question), canonical(seed)) >= threshold``
    (tests/generate/test_validate.py), cheaper: the seeds' trigrams are cached, and a pair
    whose set sizes alone keep it below the threshold is not intersected (:func:`jaccard_from`).
    """
    mine = trigrams(canonical(question))
    for seed in seeds:
        if jaccard_from(mine, _seed_trigrams(seed), threshold) >= threshold:
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
    """The checked draft of one item; raises :class:`ItemProblem` naming the failed check."""
    state = _Item(item, language, rules)
    check_reader(state)
    state.kind = infer_kind(item, expected)
    for check in CHECKS[1:]:
        try:
            check(state)
        except FieldProblem as problem:
            raise ItemProblem(problem.code, str(problem)) from None
    if rules.reject_seed_copies:
        copied = _seed_copy(state.question, seeds, rules.seed_copy_similarity)
        if copied is not None:
            raise ItemProblem("seed_copy", f"near-copy of the seed question {copied!r}")
    return Draft(state.kind, state.question, state.choices, state.answer)


# -- the reply --------------------------------------------------------------------------------


def _same_question(question: str) -> str:
    return re.sub(r"\s+", "", question).casefold()


def judge_items(
    items: Sequence[RawItem],
    language: Language,
    rules: Rules,
    *,
    counts: Mapping[Kind, int] | None = None,
    expected: Kind | None = None,
    seeds: Sequence[str] = (),
) -> Verdict:
    """Checked drafts of a reply's items and the refused rest. With ``counts`` (the stage), at
    most ``counts[kind]`` of each kind, judgement answers capped at half a set each when
    balance is on."""
    verdict = Verdict()
    seen: set[str] = set()
    taken: dict[str, int] = {}
    for item in items:
        try:
            draft = check_item(item, language, rules, expected=expected, seeds=seeds)
            if _same_question(draft.question) in seen:
                raise ItemProblem("duplicate", "the same question was already asked in the reply")
            _fits(draft, counts, taken, rules)
        except ItemProblem as problem:
            kind = item.kind if item.kind in KINDS else expected
            verdict.rejects.append(Reject(problem.code, str(problem), kind, item.raw or _raw(item)))
            continue
        seen.add(_same_question(draft.question))
        taken[draft.kind] = taken.get(draft.kind, 0) + 1
        if draft.kind == "judgement":
            taken[f"judgement:{draft.answer}"] = taken.get(f"judgement:{draft.answer}", 0) + 1
        verdict.drafts.append(draft)
    return verdict


def _raw(item: RawItem) -> str:
    return "\n".join(x for x in (item.question, *(item.choices or ()), item.answer) if x) or "-"


def _fits(
    draft: Draft, counts: Mapping[Kind, int] | None, taken: Mapping[str, int], rules: Rules
) -> None:
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

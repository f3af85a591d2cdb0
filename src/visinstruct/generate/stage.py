"""Step (d): an LLM (or, in ``vision`` mode, a VLM) turns each caption into instructions.

Units. ``generate.layout: combined`` asks for every kind in one call: one unit per (caption,
language), key ``<caption id>:<language>``. ``per_kind`` makes one call per kind and one unit
per call, key ``<caption id>:<language>:<kind>``, so a resumed run repeats no paid call and a
kind that keeps failing does not cost the others. The layout is part of the stage settings, so
switching it reruns the stage under a new config hash instead of mixing the two.

Each call: parse, validate, and if nothing in the reply is usable, one repair turn (the reply
and the validator's complaint are appended as an assistant + user turn). If the repaired reply
is unusable too, the unit fails with both raw replies (the executor keeps them as an error
row). Items rejected from an otherwise usable reply are kept as :class:`RejectedItem` records
with their reason and raw text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from visinstruct.caption.stage import CaptionStage
from visinstruct.config import ProjectConfig, Role
from visinstruct.errors import OutputParseError
from visinstruct.executors.base import WorkUnit
from visinstruct.generate.parse import parse_reply
from visinstruct.generate.prompts import (
    PromptInput,
    generation_messages,
    repair_message,
    reply_schema,
)
from visinstruct.generate.validate import Reject, Rules, Verdict, judge_items
from visinstruct.models.base import CallContext, ChatRequest, Message
from visinstruct.records import (
    KINDS,
    Caption,
    ImageRecord,
    Instruction,
    Kind,
    Language,
    Provenance,
    Record,
    RejectedItem,
)
from visinstruct.seeds import SeedSampler, load_bank
from visinstruct.stage import ModelStage, moved
from visinstruct.store import Head, Store

__all__ = ["FALLBACK_DOMAIN", "GenerateStage"]

FALLBACK_DOMAIN = "image_description"
PEERS = 8  # other images offered to backends that build distractors from data
RAW_SEPARATOR = "\n\n----- repair reply -----\n\n"


@dataclass(frozen=True)
class _Call:
    """One generation call's inputs: which kinds, how many, with which seeds; the prepared
    payload of a unit (everything the call reads, gathered on the driver)."""

    image: ImageRecord
    caption: Caption
    language: Language
    counts: Mapping[Kind, int]
    seeds: Mapping[Kind, Sequence[str]]
    unit_key: str
    kind: Kind | None = None
    """The one kind of a per-kind unit; None for a combined one."""
    peers: tuple[ImageRecord, ...] = ()


class GenerateStage(ModelStage):
    """Instructions of the four kinds per (caption, language); see the module docstring."""

    name: ClassVar[str] = "generate"
    role: ClassVar[Role] = "generator"

    @classmethod
    def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
        g = config.generate
        return {
            "model": config.models.get(cls.role).identity(),
            "prompt_version": g.prompt_version,
            "counts": {k: g.counts.get(k, 0) for k in KINDS},
            "max_tokens": g.max_tokens,
            "temperature": g.temperature,
            "seeds": {"per_call": config.seeds.per_call, "run_seed": config.seeds.run_seed},
            "mode": g.mode,
            "layout": g.layout,
            "format": g.format,
            "repair": g.repair,
            "rules": Rules.of(g).settings(),
        }

    @classmethod
    def units_per_caption(cls, config: ProjectConfig) -> int:
        """How many units one caption makes under ``config`` (for status counts)."""
        g = config.generate
        per_language = sum(1 for n in g.counts.values() if n > 0) if g.layout == "per_kind" else 1
        return per_language * len(g.languages)

    @property
    def max_attempts(self) -> int:
        return self.config.generate.max_unit_attempts

    @cached_property
    def rules(self) -> Rules:
        return Rules.of(self.config.generate)

    def _caption_hash(self) -> str:
        return CaptionStage.hash_of(self.config)

    def _kinds(self) -> list[Kind]:
        return [k for k in KINDS if self.config.generate.counts.get(k, 0) > 0]

    def candidates(self) -> Iterator[WorkUnit]:
        per_kind = self.config.generate.layout == "per_kind"
        for caption in self.store.captions(self._caption_hash()):
            for language in self.config.generate.languages:
                if not per_kind:
                    yield WorkUnit(f"{caption.id}:{language}", (caption, language, None))
                    continue
                for kind in self._kinds():
                    key = f"{caption.id}:{language}:{kind}"
                    yield WorkUnit(key, (caption, language, kind))

    def head_of(self, unit: WorkUnit) -> Head:
        """A done unit makes this run's instructions of its image and language the dataset's
        (with a per-kind layout, once every kind of that caption and language is done)."""
        caption: Caption = unit.payload[0]
        language: Language = unit.payload[1]
        siblings: tuple[str, ...] = ()
        if self.config.generate.layout == "per_kind":
            siblings = tuple(f"{caption.id}:{language}:{k}" for k in self._kinds())
        return Head(caption.image_id, language, caption.id, siblings)

    @classmethod
    def count_units(cls, config: ProjectConfig, store: Store) -> int:
        n = store.count_captions(CaptionStage.hash_of(config))
        return n * cls.units_per_caption(config)

    @cached_property
    def _sampler(self) -> SeedSampler:
        bank = load_bank(self.config.seeds.paths, self.root)
        return SeedSampler(bank, self.config.seeds.run_seed)

    def seeds_for(
        self,
        domain: str,
        language: Language,
        unit_key: str,
        kinds: Sequence[Kind] | None = None,
    ) -> dict[Kind, list[str]]:
        """Seed questions to imitate, per requested kind, sampled evenly and reproducibly.

        An image whose domain has no seed file borrows the general description domain's seeds.
        """
        sampler = self._sampler
        if domain not in sampler.bank.names():
            domain = FALLBACK_DOMAIN
            if domain not in sampler.bank.names():
                return {}
        k = self.config.seeds.per_call
        return {
            kind: sampler.sample(domain, kind, language, k, unit_key)
            for kind in (kinds if kinds is not None else self._kinds())
        }

    # -- one unit -------------------------------------------------------------------------

    def prepare(self, unit: WorkUnit) -> WorkUnit:
        return WorkUnit(unit.key, self._call_of(unit), unit.attempts)

    def files_of(self, payload: Any) -> Sequence[ImageRecord]:
        call: _Call = payload
        if self.backend.reads_context_files:
            return (call.image, *call.peers)
        return (call.image,) if self.config.generate.mode == "vision" else ()

    def relocated(self, payload: Any, paths: Mapping[str, str]) -> Any:
        call: _Call = payload
        peers = tuple(moved(p, paths) for p in call.peers)
        return replace(call, image=moved(call.image, paths), peers=peers)

    async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
        call: _Call = unit.payload
        verdict = await self._generate(call, context, expected=call.kind)
        return self._records(call, verdict)

    def _call_of(self, unit: WorkUnit) -> _Call:
        """The planned unit's inputs, read from the store (on the driver)."""
        caption: Caption
        language: Language
        kind: Kind | None
        caption, language, kind = unit.payload
        image = self.store.image(caption.image_id)
        g = self.config.generate
        kinds = [kind] if kind is not None else self._kinds()
        return _Call(
            image=image,
            caption=caption,
            language=language,
            counts={k: g.counts[k] for k in kinds},
            seeds=self.seeds_for(image.domain, language, unit.key, kinds),
            unit_key=unit.key,
            kind=kind,
            peers=tuple(self.store.peer_images(image.id, PEERS)),
        )

    def request_context(self, unit: WorkUnit) -> dict[str, Any]:
        """The context the backend's request for ``unit`` carries (image, language, counts,
        seeds, peers ...): what an offline backend composes from, so its items can be rebuilt
        afterwards (:mod:`~visinstruct.generate.traces`)."""
        return dict(self._request(self._call_of(unit), ()).context)

    def _prompt(self, call: _Call) -> tuple[str, str]:
        g = self.config.generate
        return generation_messages(
            g.prompt_version,
            PromptInput(
                language=call.language,
                domain=call.image.domain,
                caption=call.caption.text,
                counts=call.counts,
                seeds=call.seeds,
                ocr=[line.text for line in call.image.ocr],
                prior=call.image.prior,
                mode=g.mode,
                format=g.format,
                short_max_words=g.short_max_words,
                long_min_words=g.long_min_words,
            ),
        )

    def _request(self, call: _Call, messages: tuple[Message, ...]) -> ChatRequest:
        g = self.config.generate
        return ChatRequest(
            messages=messages,
            max_tokens=g.max_tokens,
            temperature=g.temperature,
            json_schema=reply_schema(list(call.counts)) if g.format == "json" else None,
            schema_name="instructions",
            context={
                "image": call.image,
                "domain": call.image.domain,
                "language": call.language,
                "caption": call.caption,
                "counts": dict(call.counts),
                "seeds": {k: list(v) for k, v in call.seeds.items()},
                "peers": list(call.peers),
                "format": g.format,
                "long_min_words": g.long_min_words,
            },
        )

    def _judge(self, text: str, call: _Call, expected: Kind | None) -> tuple[Verdict, str]:
        """The verdict on one reply, and the reply-level problem when nothing is usable."""
        fmt = self.config.generate.format
        try:
            items = parse_reply(text, fmt)
        except OutputParseError as exc:
            return Verdict(), str(exc)
        verdict = judge_items(
            items,
            call.language,
            self.rules,
            counts=call.counts,
            expected=expected,
            seeds=[s for kind_seeds in call.seeds.values() for s in kind_seeds],
        )
        problem = "" if verdict.drafts else "no usable instruction in the reply"
        return verdict, problem

    async def _generate(self, call: _Call, context: CallContext, expected: Kind | None) -> Verdict:
        g = self.config.generate
        system, user = self._prompt(call)
        images = (Path(call.image.path),) if g.mode == "vision" else ()
        messages: tuple[Message, ...] = (
            Message("system", system),
            Message("user", user, images=images),
        )
        reply = await self.backend.chat(self._request(call, messages), context)
        verdict, problem = self._judge(reply.text, call, expected)
        if not problem:
            return verdict
        complaints = [problem] + [r.reason for r in verdict.rejects]
        if not g.repair:
            raise OutputParseError("; ".join(complaints[:5]), raw=reply.text)
        follow_up = repair_message(call.language, complaints, g.format)
        messages += (Message("assistant", reply.text), Message("user", follow_up))
        second = await self.backend.chat(self._request(call, messages), context)
        repaired, problem2 = self._judge(second.text, call, expected)
        if problem2:
            reasons = "; ".join([problem2, *[r.reason for r in repaired.rejects][:4]])
            raise OutputParseError(
                f"unusable reply, and again after one repair turn: {reasons}",
                raw=reply.text + RAW_SEPARATOR + second.text,
            )
        first = Reject("reply_unusable", "; ".join(complaints[:5]), None, reply.text)
        return Verdict(repaired.drafts, [first, *repaired.rejects])

    def _records(self, call: _Call, verdict: Verdict) -> list[Record]:
        g = self.config.generate
        provenance = Provenance(
            model=self.backend.spec.model,
            prompt_version=g.prompt_version,
            config_hash=self.config_hash,
            caption_id=call.caption.id,
            seed_questions=[s for kind_seeds in call.seeds.values() for s in kind_seeds],
        )
        records: list[Record] = [
            RejectedItem(reason=r.reason, content=r.raw, kind=r.kind) for r in verdict.rejects
        ]
        image_id = call.image.id
        for d in verdict.drafts:
            records.append(
                Instruction(
                    id=Instruction.make_id(
                        image_id,
                        d.kind,
                        call.language,
                        d.question,
                        list(d.choices),
                        d.answer,
                        caption_id=call.caption.id,
                        config_hash=self.config_hash,
                    ),
                    image_id=image_id,
                    domain=call.image.domain,
                    kind=d.kind,
                    language=call.language,
                    question=d.question,
                    choices=list(d.choices),
                    answer=d.answer,
                    provenance=provenance,
                )
            )
        return records

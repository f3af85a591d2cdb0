"""Step (d): an LLM turns each caption into instructions of the four kinds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, ClassVar

from visinstruct.caption.stage import CaptionStage
from visinstruct.config import ProjectConfig, Role
from visinstruct.executors.base import WorkUnit
from visinstruct.generate.parse import parse_reply
from visinstruct.generate.prompts import REPLY_SCHEMA, generation_messages
from visinstruct.models.base import CallContext, ChatRequest, Message
from visinstruct.records import (
    KINDS,
    Caption,
    Instruction,
    Kind,
    Language,
    Provenance,
    Record,
    RejectedItem,
)
from visinstruct.seeds import SeedSampler, load_bank
from visinstruct.stage import ModelStage

__all__ = ["FALLBACK_DOMAIN", "GenerateStage"]

FALLBACK_DOMAIN = "image_description"
PEERS = 8  # other images offered to backends that build distractors from data


class GenerateStage(ModelStage):
    """One unit per (caption, language): one call asks for every configured kind."""

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
        }

    @property
    def max_attempts(self) -> int:
        return self.config.generate.max_unit_attempts

    def _caption_hash(self) -> str:
        return CaptionStage.hash_of(self.config)

    def candidates(self) -> Iterator[WorkUnit]:
        for caption in self.store.captions(self._caption_hash()):
            for language in self.config.generate.languages:
                yield WorkUnit(f"{caption.id}:{language}", (caption, language))

    def count_candidates(self) -> int:
        n = self.store.count_captions(self._caption_hash())
        return n * len(self.config.generate.languages)

    @cached_property
    def _sampler(self) -> SeedSampler:
        bank = load_bank(self.config.seeds.paths, self.root)
        return SeedSampler(bank, self.config.seeds.run_seed)

    def seeds_for(self, domain: str, language: Language, unit_key: str) -> dict[Kind, list[str]]:
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
            for kind, n in self.config.generate.counts.items()
            if n > 0
        }

    async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
        caption: Caption
        language: Language
        caption, language = unit.payload
        image = self.store.image(caption.image_id)
        g = self.config.generate
        counts = {k: n for k, n in g.counts.items() if n > 0}
        seeds = self.seeds_for(image.domain, language, unit.key)
        system, user = generation_messages(
            g.prompt_version, language, image.domain, caption.text, counts, seeds
        )
        request = ChatRequest(
            messages=(Message("system", system), Message("user", user)),
            max_tokens=g.max_tokens,
            temperature=g.temperature,
            json_schema=REPLY_SCHEMA,
            schema_name="instructions",
            context={
                "image": image,
                "domain": image.domain,
                "language": language,
                "caption": caption,
                "counts": counts,
                "seeds": seeds,
                "peers": self.store.peer_images(image.id, PEERS),
            },
        )
        reply = await self.backend.chat(request, context)
        parsed = parse_reply(reply.text, language, counts)
        rejects = [RejectedItem(reason=r, content=reply.text) for r in parsed.rejected]
        provenance = Provenance(
            model=self.backend.spec.model,
            prompt_version=g.prompt_version,
            config_hash=self.config_hash,
            caption_id=caption.id,
            seed_questions=[s for kind_seeds in seeds.values() for s in kind_seeds],
        )
        return [*rejects] + [
            Instruction(
                id=Instruction.make_id(
                    image.id, d.kind, language, d.question, list(d.choices), d.answer
                ),
                image_id=image.id,
                domain=image.domain,
                kind=d.kind,
                language=language,
                question=d.question,
                choices=list(d.choices),
                answer=d.answer,
                provenance=provenance,
            )
            for d in parsed.drafts
        ]

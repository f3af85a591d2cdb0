"""The planted set for the local checks: per defect class, English and Chinese apart.

Twelve street scenes per language (``scene_en`` / ``scene_zh``), each with a caption in its
language and nine correct items (Yes and No judgements, colour and count multiple choice, the
sign's text, a count, a name, a time, a description), plus one planted defect of every class:

========================  ==================================================================
``judgement_form``        a judgement answered other than Yes/No or 是/否 ("No idea", 是的)
``ungrounded_number``     a number the caption does not hold (a year, a time, 四十个人)
``ungrounded_name``       a name the caption does not hold (a city, a brand, 张伟)
``duplicate``             a reworded copy of a correct item, same answer
``contradiction``         a correct item's question asked again with another answer
``option_overlap``        two options saying the same (两只 / 2只, a bench / the bench)
``language``              text in the other language, one word included ("yellow" to 中文)
========================  ==================================================================

The items are in tests/verify/planted_items.py. The correct Chinese items hold what must not
be flagged: 一张, 一只, 十分, 5:30, ¥18, brand names written in Latin letters (FRESH, Leica)
and Chinese (星巴克, 尼康). Run this module
(``python tests/verify/planted_classes.py``) for the table of recall, false flags and
precision per check; tests/verify/test_planted_classes.py asserts the thresholds.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from verify.planted_items import (
    CHECK_OF,
    CLASSES,
    SCENES,
    Item,
    caption_en,
    caption_zh,
    clean_en,
    clean_zh,
    defects_en,
    defects_zh,
    scene,
)
from visinstruct.caption import CaptionStage
from visinstruct.collect import collect_folder
from visinstruct.config import ProjectConfig
from visinstruct.generate import GenerateStage
from visinstruct.project import Project
from visinstruct.records import Caption, Instruction, Provenance
from visinstruct.store import Head

__all__ = ["CHECK_OF", "CLASSES", "PlantedClasses", "build", "failed_checks", "score", "table"]

BALANCE = ("yes_no_balance", "mc_balance")


@dataclass
class PlantedClasses:
    project: Project
    category: dict[str, str] = field(default_factory=dict)
    """instruction id → a class of :data:`CLASSES` or "clean"."""
    language: dict[str, str] = field(default_factory=dict)
    partner: dict[str, str] = field(default_factory=dict)
    """contradiction id → the id of the correct item it contradicts."""


def _config() -> ProjectConfig:
    # Model roles are named so that stage hashes exist; nothing calls them (no verifier:
    # verify runs the local checks only).
    spec = {"model": "planted", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "NONE"}
    return ProjectConfig.model_validate({"models": {"captioner": spec, "generator": spec}})


def _instruction(image_id: str, language: str, item: Item, provenance: Provenance) -> Instruction:
    _, kind, question, answer, choices = item
    return Instruction(
        id=Instruction.make_id(image_id, kind, language, question, choices, answer,
                               caption_id=provenance.caption_id,
                               config_hash=provenance.config_hash),
        image_id=image_id, domain=f"scene_{language}", kind=kind, language=language,  # type: ignore[arg-type]
        question=question, choices=list(choices), answer=answer, provenance=provenance,
    )  # fmt: skip


def _partner_of(item: Item, clean: list[Item]) -> int:
    """Which correct item a planted contradiction contradicts: the one of its kind whose
    question differs least."""
    same_kind = [j for j, c in enumerate(clean) if c[1] == item[1]]
    return max(same_kind, key=lambda j: SequenceMatcher(None, clean[j][2], item[2]).ratio())


def build(tmp_path: Path) -> PlantedClasses:
    """The planted project under ``tmp_path/project``."""
    from conftest import make_images

    images = tmp_path / "images"
    make_images(images, {"scene_en": SCENES, "scene_zh": SCENES})
    project = Project(tmp_path / "project", _config())
    collect_folder(project.store, images, "image_description")
    planted = PlantedClasses(project)
    caption_hash = CaptionStage.hash_of(project.config)
    gen_hash = GenerateStage.hash_of(project.config)
    by_domain: dict[str, list[str]] = {}
    for image in project.store.images():
        by_domain.setdefault(image.domain, []).append(image.id)
    for language in ("en", "zh"):
        for i, image_id in enumerate(sorted(by_domain[f"scene_{language}"])):
            s = scene(i, language)
            text = (caption_en if language == "en" else caption_zh)(s)
            caption = Caption(id=Caption.make_id(image_id, caption_hash, text), image_id=image_id,
                              text=text, language=language, model="planted",  # type: ignore[arg-type]
                              prompt_version="v2", config_hash=caption_hash)  # fmt: skip
            provenance = Provenance(model="planted", prompt_version="v2", config_hash=gen_hash,
                                    caption_id=caption.id)  # fmt: skip
            clean = (clean_en if language == "en" else clean_zh)(s)
            defects = (defects_en if language == "en" else defects_zh)(s)
            items = [_instruction(image_id, language, it, provenance) for it in clean + defects]
            for item, ins in zip(clean + defects, items, strict=True):
                planted.category[ins.id] = item[0]
                planted.language[ins.id] = language
                if item[0] == "contradiction":
                    planted.partner[ins.id] = items[_partner_of(item, clean)].id
            project.store.complete_unit("caption", image_id, caption_hash, [caption])
            project.store.complete_unit("generate", f"{caption.id}:{language}", gen_hash, items,
                                        head=Head(image_id, language, caption.id))  # fmt: skip
    return planted


def failed_checks(ins: Instruction) -> list[str]:
    """The checks ``ins`` failed, balance remedies aside (they flag surplus, not defects)."""
    return [
        name
        for name, r in ins.checks.items()
        if name not in BALANCE and isinstance(r, dict) and r.get("passed") is False
    ]


def score(planted: PlantedClasses) -> dict[str, Any]:
    """Recall per class and false flags per language, and precision per check.

    A correct item flagged only as a planted contradiction's partner is not a false flag: the
    contradiction check flags both answers of a pair by design (it cannot tell which is
    right); ``false_flags_with_partners`` counts them anyway. A check's precision is the share
    of what it flags that is a planted defect (of any class), partners counting as right for
    the contradiction check alone.
    """
    config_hash = GenerateStage.hash_of(planted.project.config)
    items = {i.id: i for i in planted.project.store.instructions_of(config_hash)}
    partners = set(planted.partner.values())
    caught: dict[str, Counter[str]] = {"en": Counter(), "zh": Counter()}
    total: dict[str, Counter[str]] = {"en": Counter(), "zh": Counter()}
    flagged_by: Counter[str] = Counter()
    right_by: Counter[str] = Counter()
    for ins in items.values():
        category, language = planted.category[ins.id], planted.language[ins.id]
        failed = failed_checks(ins)
        total[language][category] += 1
        partner_only = ins.id in partners and failed == ["contradiction"]
        if failed and not partner_only:
            caught[language][category] += 1
        if ins.id in partners and failed:
            caught[language]["partner"] += 1
        for name in failed:
            flagged_by[name] += 1
            right = category != "clean" or (name == "contradiction" and ins.id in partners)
            right_by[name] += right
    result: dict[str, Any] = {"recall": {}, "false_flags": {}, "false_flags_with_partners": {}}
    for language in ("en", "zh"):
        t, c = total[language], caught[language]
        result["recall"][language] = {k: c[k] / t[k] for k in CLASSES}
        result["false_flags"][language] = c["clean"] / t["clean"]
        result["false_flags_with_partners"][language] = (c["clean"] + c["partner"]) / t["clean"]
        result.setdefault("counts", {})[language] = dict(t)
    result["precision"] = {n: (right_by[n] / flagged_by[n], flagged_by[n]) for n in flagged_by}
    result["missed"] = sorted(
        (planted.language[i], planted.category[i], ins.question, ins.answer, ins.choices)
        for i, ins in items.items()
        if planted.category[i] != "clean" and not failed_checks(ins)
    )
    result["false"] = sorted(
        (planted.language[i], failed_checks(ins), ins.question, ins.answer, ins.choices)
        for i, ins in items.items()
        if planted.category[i] == "clean" and failed_checks(ins) and i not in partners
    )
    return result


def table(result: dict[str, Any]) -> str:
    """The figures as lines of text."""
    lines = ["class                  en      zh"]
    for k in CLASSES:
        en, zh = result["recall"]["en"][k], result["recall"]["zh"][k]
        lines.append(f"{k:<20} {en:6.2f}  {zh:6.2f}")
    ff, fp = result["false_flags"], result["false_flags_with_partners"]
    lines.append(f"{'false flags':<20} {ff['en']:6.3f}  {ff['zh']:6.3f}")
    lines.append(f"{'  with partners':<20} {fp['en']:6.3f}  {fp['zh']:6.3f}")
    lines.append("check precision (flagged):")
    for name, (p, n) in sorted(result["precision"].items()):
        lines.append(f"  {name:<18} {p:6.3f} ({n})")
    lines += [f"missed: {m}" for m in result["missed"]]
    lines += [f"false flag: {m}" for m in result["false"]]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - the figures for a closing note
    import tempfile

    sys.path.insert(0, str(Path(__file__).parents[1]))
    with tempfile.TemporaryDirectory() as tmp:
        planted = build(Path(tmp))
        planted.project.verify()
        print(table(score(planted)))
        planted.project.close()

"""The demo, offline: all four kinds per image, every answer re-derived from its sources.

The demo runs once per module with the network closed (any connection that is not to the
loopback interface raises) and no API key in the environment.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from visinstruct.caption import CaptionStage
from visinstruct.demo import DemoReport, run_demo, samples
from visinstruct.facts import GroundedItem
from visinstruct.facts.figures import template_figures
from visinstruct.generate.fields import length_units
from visinstruct.generate.traces import template_items
from visinstruct.project import Project
from visinstruct.records import Instruction, Language


def _groundtruth() -> ModuleType:
    path = Path(__file__).parents[1] / "facts" / "groundtruth.py"
    spec = importlib.util.spec_from_file_location("groundtruth", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


truth = _groundtruth().truth


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoReport]:
    real_connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost") and not str(address).startswith("/"):
            raise AssertionError(f"the demo tried to reach the network: {address}")
        real_connect(self, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("OPENAI_API_KEY", raising=False)
        mp.delenv("OPENAI_BASE_URL", raising=False)
        mp.setattr(socket.socket, "connect", loopback_only)
        yield run_demo(tmp_path_factory.mktemp("demo") / "project")


def _instructions(project: Project) -> list[Instruction]:
    return list(project.store.instructions(project.scope()))


def _traces(project: Project) -> dict[tuple[str, str, str, str], GroundedItem]:
    """(image id, language, kind, question) → the item the template backend composed, with claims.

    The request context is rebuilt exactly as the generate stage builds it.
    """
    found = template_items(project.config, project.store, project.root)
    assert found is not None
    return found


def test_export_holds_all_four_kinds_for_every_sample_image(demo: DemoReport) -> None:
    assert {r.format for r in demo.exports} >= {"llava"}
    llava = next(r for r in demo.exports if r.format == "llava")
    exported = json.loads(llava.path.read_text(encoding="utf-8"))
    assert llava.images == len(samples()) == 14
    with Project.open(demo.project) as project:
        instructions = _instructions(project)
        paths = {i.image_id: project.store.image(i.image_id).path for i in instructions}
    assert {row["id"] for row in exported} == {i.id for i in instructions}
    kinds: dict[tuple[str, Language], set[str]] = {}
    for i in instructions:
        kinds.setdefault((paths[i.image_id], i.language), set()).add(i.kind)
    assert len({path for path, _ in kinds}) == 14
    for (path, language), found in kinds.items():
        assert found == {"judgement", "multiple_choice", "long_vqa", "short_vqa"}, (path, language)


def test_the_validator_refuses_nothing_the_demo_composes(demo: DemoReport) -> None:
    """Every composed item meets the rule book: no duplicate question in a reply, no long
    answer under ``long_min_words`` (Chinese: twice that in units), nothing else refused."""
    with Project.open(demo.project) as project:
        rejects = project.store.item_rejects("generate")
        long_min = project.config.generate.long_min_words
        instructions = _instructions(project)
    assert [(r["kind"], r["reason"], r["content"]) for r in rejects] == []
    for ins in (i for i in instructions if i.kind == "long_vqa"):
        scale = 2 if ins.language == "zh" else 1
        assert length_units(ins.answer, ins.language) >= long_min * scale, ins.answer
    per_call: Counter[tuple[str, str, str]] = Counter(
        (i.image_id, i.language, re.sub(r"\s+", "", i.question).casefold()) for i in instructions
    )
    assert [k for k, n in per_call.items() if n > 1] == []


def test_every_answer_is_checkable_against_the_facts_it_came_from(demo: DemoReport) -> None:
    with Project.open(demo.project) as project:
        instructions = _instructions(project)
        traces = _traces(project)
        images = {i.image_id: project.store.image(i.image_id) for i in instructions}
    mismatches = []
    for ins in instructions:
        item = traces[(ins.image_id, ins.language, ins.kind, ins.question)]
        image = images[ins.image_id]
        assert item.claims, ins.question
        for claim in item.claims:
            if truth(image, claim) is not claim.holds:
                mismatches.append((Path(image.path).name, ins.question, claim))
        if ins.kind == "judgement":
            expected = item.claims[0].holds
            assert (
                ins.answer
                == {True: {"en": "Yes", "zh": "是"}, False: {"en": "No", "zh": "否"}}[expected][
                    ins.language
                ]
            )
        elif ins.kind == "multiple_choice":
            right = "ABCD".index(ins.answer)
            assert [c.holds for c in item.claims] == [n == right for n in range(4)]
            assert ins.choices == list(item.choices)
        else:
            assert ins.answer == item.answer
    assert mismatches == []


def test_judgements_are_correct_by_construction_and_balanced(demo: DemoReport) -> None:
    with Project.open(demo.project) as project:
        instructions = _instructions(project)
        traces = _traces(project)
        images = {i.image_id: project.store.image(i.image_id) for i in instructions}
    answers: Counter[str] = Counter()
    for ins in (i for i in instructions if i.kind == "judgement"):
        (claim,) = traces[(ins.image_id, ins.language, ins.kind, ins.question)].claims
        derived = truth(images[ins.image_id], claim)
        assert derived is not None, ins.question
        assert (
            ins.answer == ("Yes" if derived else "No")
            if ins.language == "en"
            else ins.answer == ("是" if derived else "否")
        )
        answers["yes" if ins.answer in ("Yes", "是") else "no"] += 1
    assert answers["yes"] == answers["no"] > 0


def test_captions_are_marked_and_calls_are_free(demo: DemoReport) -> None:
    with Project.open(demo.project) as project:
        captions = list(project.store.captions(CaptionStage.hash_of(project.config)))
        calls = project.store.calls()
        status = project.status()
    assert len(captions) == 14
    assert {c.source for c in captions} == {"annotations"}
    assert {c.endpoint for c in calls} == {"annotations:", "template:"}
    assert {c.outcome for c in calls} == {"ok"}
    assert sum(c.input_tokens + c.output_tokens for c in calls) == 0
    assert status["cost_usd"] == 0
    assert status["calls"]["total"] == 14 + 28


def test_rerun_resumes_without_new_calls(demo: DemoReport) -> None:
    again = run_demo(demo.project)
    assert again.collected.unchanged == 14
    assert again.collected.accepted == 0
    assert all(s.done == 0 for s in again.stages)
    assert again.instructions == demo.instructions


def _items(demo: DemoReport) -> list[tuple[Instruction, GroundedItem]]:
    with Project.open(demo.project) as project:
        instructions = _instructions(project)
        traces = _traces(project)
    return [(i, traces[(i.image_id, i.language, i.kind, i.question)]) for i in instructions]


def test_many_templates_each_balanced_and_few_about_the_look(demo: DemoReport) -> None:
    pairs = _items(demo)
    assert "" not in {item.template for _, item in pairs}
    figures = template_figures(item for _, item in pairs)
    assert figures["templates"] >= 40, figures
    for template, share in figures["yes_share"]["by_template"].items():
        assert 0.35 <= share <= 0.65, (template, share)
    assert figures["global_share"] < 0.30, figures


def test_the_dataset_card_shows_the_template_figures(demo: DemoReport) -> None:
    with Project.open(demo.project) as project:
        stats = project.stats()
    figures = stats["templates"]
    assert figures == {**template_figures(item for _, item in _items(demo)), "unmatched": 0}
    card = (demo.project / "exports" / "README.md").read_text(encoding="utf-8")
    yes = figures["yes_share"]
    assert f"{figures['templates']} distinct question templates" in card
    assert f"{yes['min']:.0%}–{yes['max']:.0%}" in card
    assert f"sharpness): {figures['global_share']:.0%}." in card


def test_no_fact_is_asked_both_ways_on_one_image(demo: DemoReport) -> None:
    asked: dict[tuple[str, str, str], set[bool]] = {}
    for ins, item in _items(demo):
        if ins.kind == "judgement" and item.topic not in ("", "text"):
            asked.setdefault((ins.image_id, item.topic, ""), set()).add(item.claims[0].holds)
    assert {k: v for k, v in asked.items() if len(v) > 1} == {}


def _metadata(image: Any) -> set[str]:
    """Titles and tags (both languages) that are not also visible text or labels."""
    prior = image.prior
    zh = prior.get("zh", {})
    found = {prior.get("title") or "", zh.get("title") or "", *prior.get("tags", []),
             *zh.get("tags", [])}  # fmt: skip
    visible = {
        x.casefold()
        for x in [
            *prior.get("text", []),
            *prior.get("labels", []),
            *zh.get("labels", []),
            *(zh.get("fields") or {}).values(),
        ]
    }
    return {m for m in found if m and m.casefold() not in visible}


def test_no_title_or_tag_is_stated_as_seen(demo: DemoReport) -> None:
    with Project.open(demo.project) as project:
        instructions = _instructions(project)
        images = {i.image_id: project.store.image(i.image_id) for i in instructions}
    stated = []
    for ins in instructions:
        said = " ".join([ins.answer, *ins.choices]).casefold()
        for meta in _metadata(images[ins.image_id]):
            if meta.casefold() in said and meta.casefold() not in ins.question.casefold():
                stated.append((ins.question, meta))
    assert stated == []
    for _, item in _items(demo):
        assert not any(c.type == "tag" for c in item.claims), item.question


ALLOWED_LATIN = {"mm", "NASA"}


_QUOTED = re.compile(r"“([^”]*)”")


def _unquote(visible: set[str], match: re.Match[str]) -> str:
    return "" if match.group(1) in visible else match.group(0)


def test_chinese_is_written_in_chinese(demo: DemoReport) -> None:
    with Project.open(demo.project) as project:
        instructions = [i for i in _instructions(project) if i.language == "zh"]
        images = {i.image_id: project.store.image(i.image_id) for i in instructions}
    leaks = []
    for ins in instructions:
        visible = set(images[ins.image_id].prior.get("text", []))
        answer = [] if ins.kind == "multiple_choice" else [ins.answer]
        for part in [ins.question, *answer, *ins.choices]:
            if part in visible:
                continue  # a verbatim transcription of the image's text
            text = _QUOTED.sub(partial(_unquote, visible), part)
            words = set(re.findall(r"[A-Za-z]+", text)) - ALLOWED_LATIN
            if words:
                leaks.append((ins.question, part, words))
    assert leaks == []


def test_object_colour_is_the_subject_s_not_the_image_mean(demo: DemoReport) -> None:
    for _ins, item in _items(demo):
        for claim in item.claims:
            if claim.type == "object_colour" and claim.subject == "spacesuit" and claim.holds:
                assert claim.value == "orange"

"""Composed instructions: grounded, balanced, deterministic, and only from facts."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageDraw

from visinstruct.collect import inspect_image
from visinstruct.facts import GroundedItem, compose, extract_facts
from visinstruct.facts.compose import language_fits
from visinstruct.records import ImageRecord

COUNTS = {"judgement": 4, "multiple_choice": 2, "long_vqa": 1, "short_vqa": 2}


def _groundtruth() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "groundtruth", Path(__file__).parent / "groundtruth.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


truth = _groundtruth().truth


def _image(
    tmp_path: Path, name: str, size: tuple[int, int], fill: tuple[int, int, int], prior: dict
) -> ImageRecord:  # type: ignore[type-arg]
    path = tmp_path / name
    image = Image.new("RGB", size, fill)
    ImageDraw.Draw(image).rectangle((10, 10, size[0] // 3, size[1] // 3), fill=(250, 250, 250))
    image.save(path)
    record = inspect_image(path, "image_description")
    assert isinstance(record, ImageRecord)
    return record.model_copy(update={"prior": prior})


@pytest.fixture
def images(tmp_path: Path) -> list[ImageRecord]:
    return [
        _image(tmp_path, "cat.png", (400, 300), (200, 30, 30),
               {"labels": ["cat", "sofa"], "tags": ["pet"], "zh": {"labels": ["猫", "沙发"]}}),
        _image(tmp_path, "dog.png", (300, 400), (30, 60, 200), {"labels": ["dog", "ball"]}),
        _image(tmp_path, "poster.png", (300, 420), (20, 20, 20),
               {"title": "Jazz Night", "text": ["JAZZ NIGHT", "Friday 8 pm", "Free entry"]}),
        _image(tmp_path, "chart.png", (500, 300), (250, 250, 250),
               {"chart": {"type": "bar", "title": "Rain", "x": ["Jan", "Feb", "Mar", "Apr"],
                          "y": [12, 30, 25, 8], "unit": "mm"}}),
    ]  # fmt: skip


def _all_items(images: list[ImageRecord], language: str = "en") -> dict[str, list[GroundedItem]]:
    facts = [extract_facts(i) for i in images]
    out = {}
    for i, image in enumerate(images):
        peers = [f for j, f in enumerate(facts) if j != i]
        out[image.path] = compose(facts[i], peers, language, COUNTS, {})  # type: ignore[arg-type]
    return out


def _check(image: ImageRecord, item: GroundedItem) -> None:
    for claim in item.claims:
        assert truth(image, claim) is claim.holds, (item.question, claim)
    if item.kind == "judgement":
        assert item.answer in ("Yes", "是") if item.claims[0].holds else item.answer in ("No", "否")
    if item.kind == "multiple_choice":
        assert len(item.choices) == 4
        assert len({c.casefold() for c in item.choices}) == 4
        right = "ABCD".index(item.answer)
        assert [c.holds for c in item.claims] == [i == right for i in range(4)]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_answer_re_derives_from_the_sources(images: list[ImageRecord], language: str) -> None:
    by_image = _all_items(images, language)
    for image in images:
        for item in by_image[image.path]:
            _check(image, item)
            assert language_fits(item, language)  # type: ignore[arg-type]


def test_all_four_kinds_and_balanced_judgements(images: list[ImageRecord]) -> None:
    by_image = _all_items(images)
    answers: Counter[str] = Counter()
    for image in images:
        items = by_image[image.path]
        assert {i.kind for i in items} == set(COUNTS), image.path
        judged = Counter(i.kind for i in items)["judgement"]
        assert judged in (2, 4), image.path  # Yes/No pairs only
        answers.update(i.answer for i in items if i.kind == "judgement")
        short = [i for i in items if i.kind == "short_vqa"]
        assert all(len(i.answer.split()) <= 5 for i in short)
        long = [i for i in items if i.kind == "long_vqa"]
        assert all(len(i.answer) >= 80 and "caption" not in i.answer.lower() for i in long)
    assert answers["Yes"] == answers["No"]


def test_same_inputs_same_items(images: list[ImageRecord]) -> None:
    assert _all_items(images) == _all_items(images)


def test_a_seed_that_fits_is_filled(images: list[ImageRecord]) -> None:
    facts = [extract_facts(i) for i in images]
    seeds = {"judgement": ["Is the photo <sharp/blurry> overall?", "Is the table made of wood?"],
             "short_vqa": ["What is the title of the chart?"]}  # fmt: skip
    items = compose(facts[3], facts[:3], "en", COUNTS, seeds)  # type: ignore[arg-type]
    seeded = {i.question: i for i in items if i.seed}
    assert "What is the title of the chart?" in seeded
    assert seeded["What is the title of the chart?"].answer == "Rain"
    assert not any("wood" in q for q in seeded)  # no fact answers it: left alone


def test_a_whole_picture_seed_is_left_alone(tmp_path: Path, images: list[ImageRecord]) -> None:
    sharp = Image.new("RGB", (512, 384), (0, 0, 0))
    draw = ImageDraw.Draw(sharp)
    for x in range(0, 512, 8):
        draw.line((x, 0, x, 383), fill=(255, 255, 255), width=3)
    sharp.save(tmp_path / "lines.png")
    record = inspect_image(tmp_path / "lines.png", "image_quality")
    assert isinstance(record, ImageRecord)
    seeds = {"judgement": ["Is the photo <sharp/blurry> overall?"]}
    peers = [extract_facts(i) for i in images]
    items = compose(extract_facts(record), peers, "en", COUNTS, seeds)  # type: ignore[arg-type]
    filled = {i.question: i.answer for i in items if i.seed}
    # One topic per image: filling it would ask one fact both ways, or always answer Yes.
    assert filled == {}


def test_chinese_items_skip_untranslated_labels(images: list[ImageRecord]) -> None:
    zh = _all_items(images, "zh")
    dog = [i for i in zh[images[1].path] if any(c.type == "label" for c in i.claims)]
    assert all("dog" not in i.question for i in dog)  # the lexicon's name, 狗, is used
    assert all("ball" not in i.question + i.answer for i in zh[images[1].path])  # no name known
    cat = [i for i in zh[images[0].path] if any(c.type == "label" for c in i.claims)]
    assert all("cat" not in i.question for i in cat)


def test_no_facts_means_no_items(tmp_path: Path) -> None:
    record = _image(tmp_path, "x.png", (64, 64), (120, 120, 120), {})
    record = record.model_copy(update={"path": str(tmp_path / "gone.png")})
    assert compose(extract_facts(record), [], "en", COUNTS, {}) == []


@pytest.mark.parametrize(
    "text",
    ["图中可以看到3只猫和NASA的标志。", "Tickets 5 euros, 8 pm!", "", "一、二；三 abc12 x"],
)
def test_long_answer_units_are_the_validator_s(text: str) -> None:
    """The composer counts a long answer's length exactly as the rule book's validator does."""
    from visinstruct.facts.questions import long_units
    from visinstruct.generate.fields import length_units

    for language in ("en", "zh"):
        assert long_units(text, language) == length_units(text, language)  # type: ignore[arg-type]


def test_one_reply_never_asks_a_question_twice(images: list[ImageRecord]) -> None:
    """Kinds share questions ("How many ...?" is both a choice and a short question), and seed
    fills share them with templates; the rule book refuses the second one (decision 12)."""
    facts = [extract_facts(i) for i in images]
    counts = {"judgement": 4, "multiple_choice": 4, "long_vqa": 1, "short_vqa": 6}
    for fs in facts:
        for language in ("en", "zh"):
            items = compose(fs, facts, language, counts)  # type: ignore[arg-type]
            asked = Counter("".join(i.question.split()).casefold() for i in items)
            assert [q for q, n in asked.items() if n > 1] == [], (fs.image_id, language)

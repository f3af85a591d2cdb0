"""A planted test set for verification: correct items and known defects, built straight into a
project's store, with the ground truth a scripted verifier answers from.

Domains: ``landmark`` (20 images: 6 correct items each, plus wrong answers, answers the caption
does not support, duplicates and paraphrases, malformed items, and long answers copied to
another image), ``posters`` (15 images, 4 multiple-choice items each, every answer "A") and
``species`` (20 images, 4 judgements each, 75% Yes). Every question names something unique to
its image (a gate, poster or enclosure number), so the truth can be looked up by question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from visinstruct.caption import CaptionStage
from visinstruct.collect import collect_folder
from visinstruct.config import ProjectConfig
from visinstruct.generate import GenerateStage
from visinstruct.project import Project
from visinstruct.records import Caption, Instruction, Provenance
from visinstruct.store import Head

from conftest import make_images

LANDMARKS = [
    "Eiffel Tower", "Big Ben", "Colosseum", "Taj Mahal", "Golden Gate Bridge", "Sydney Opera House",
    "Leaning Tower of Pisa", "Brandenburg Gate", "Statue of Liberty", "Tower Bridge", "Acropolis",
    "Alhambra", "Neuschwanstein Castle", "Sagrada Familia", "Petronas Towers", "Space Needle",
    "Forbidden City", "Mont Saint Michel", "Christ the Redeemer", "Chichen Itza",
]  # fmt: skip
COLOURS = ["red", "orange", "purple", "blue", "yellow", "green", "white", "black"]
NUMBER_WORDS = ["two", "three", "four", "five", "six"]
WEATHER = ["a clear morning", "a foggy evening", "a rainy afternoon", "a snowy day", "a windy noon"]
CROWD = ["a cyclist waits", "a vendor sells maps", "a child flies a kite", "a guide talks",
         "a painter sketches"]  # fmt: skip
BIRDS = ["sparrow", "robin", "finch", "parrot", "magpie"]


@dataclass(frozen=True)
class Truth:
    answer: str
    in_caption: bool = True
    in_image: bool = True


@dataclass
class Planted:
    project: Project
    truth: dict[str, Truth] = field(default_factory=dict)
    category: dict[str, str] = field(default_factory=dict)
    """instruction id → "correct", "wrong", "unsupported", "duplicate", "malformed",
    "copy" (a long answer copied from another image), "mc_skew", "yes_no_skew"."""
    original_of: dict[str, str] = field(default_factory=dict)
    """copy id → the id of what it copies."""


class _Builder:
    def __init__(self, planted: Planted, image_id: str, domain: str, caption: Caption,
                 gen_hash: str) -> None:  # fmt: skip
        self.p, self.image_id, self.domain = planted, image_id, domain
        self.provenance = Provenance(
            model="fake-model", prompt_version="v2", config_hash=gen_hash, caption_id=caption.id
        )
        self.items: list[Instruction] = []

    def add(self, category: str, kind: str, question: str, answer: str,
            choices: list[str] | None = None, truth: Truth | None = None,
            language: str = "en") -> Instruction:  # fmt: skip
        choices = choices or []
        ins = Instruction(
            id=Instruction.make_id(self.image_id, kind, language, question, choices, answer,
                                   caption_id=self.provenance.caption_id,
                                   config_hash=self.provenance.config_hash),
            image_id=self.image_id, domain=self.domain, kind=kind, language=language,  # type: ignore[arg-type]
            question=question, choices=choices, answer=answer, provenance=self.provenance,
        )  # fmt: skip
        self.items.append(ins)
        self.p.category[ins.id] = category
        if truth is not None:
            self.p.truth.setdefault(question, truth)
        return ins


def _options(correct: str, others: list[str], letter_index: int) -> tuple[list[str], str]:
    options = [o for o in others if o != correct][:3]
    options.insert(letter_index, correct)
    return options, "ABCD"[letter_index]


def _landmark(b: _Builder, i: int) -> str:
    name, gate = LANDMARKS[i], 3 + i
    banner, sign = COLOURS[i % 8], COLOURS[(i + 3) % 8]
    birds = NUMBER_WORDS[i % 5]
    caption = (
        f"A photograph of the {name} on {WEATHER[i % 5]}. A {banner} banner hangs on the left "
        f"of Gate {gate} and a {sign} circle sign hangs on the right. The sign reads "
        f"'OPEN 24 HOURS'. {birds.capitalize()} birds sit on the railing, and nearby "
        f"{CROWD[i % 5]}."
    )
    t = Truth
    b.add(
        "correct",
        "judgement",
        f"Is the banner on the left of Gate {gate} {banner}?",
        "Yes",
        truth=t("Yes"),
    )
    b.add(
        "correct", "judgement", f"Is there a green triangle above Gate {gate}?", "No", truth=t("No")
    )
    options, letter = _options(sign, COLOURS, i % 4)
    b.add(
        "correct",
        "multiple_choice",
        f"Which colour is the circle sign at Gate {gate}?",
        letter,
        options,
        t(sign),
    )
    b.add(
        "correct",
        "short_vqa",
        f"How many birds sit on the railing at Gate {gate}?",
        str(NUMBER_WORDS.index(birds) + 2),
        truth=t(str(NUMBER_WORDS.index(birds) + 2)),
    )
    b.add(
        "correct",
        "short_vqa",
        f"What does the sign at Gate {gate} say?",
        "OPEN 24 HOURS",
        truth=t("OPEN 24 HOURS"),
    )
    long = (
        f"The photograph shows the {name} on {WEATHER[i % 5]}. To the left of Gate {gate} hangs a "
        f"{banner} banner, while a {sign} circle sign on the right reads OPEN 24 HOURS. "
        f"{birds.capitalize()} birds rest on the railing and {CROWD[i % 5]} close by."
    )
    b.add("correct", "long_vqa", f"Describe the scene at Gate {gate}.", long, truth=t(long))
    return caption


def _landmark_defects(b: _Builder, i: int) -> None:
    gate, banner, sign = 3 + i, COLOURS[i % 8], COLOURS[(i + 3) % 8]
    wrong_colour = COLOURS[(i + 5) % 8]
    t = Truth
    if i < 16:  # wrong answers, four shapes
        shape = i % 4
        if shape == 0:
            b.add(
                "wrong",
                "judgement",
                f"Is the circle sign at Gate {gate} {sign}?",
                "No",
                truth=t("Yes"),
            )
        elif shape == 1:
            options, _ = _options(banner, COLOURS, 0)
            b.add(
                "wrong",
                "multiple_choice",
                f"Which colour is the banner at Gate {gate}?",
                "C",
                options,
                t(banner),
            )
        elif shape == 2:
            b.add(
                "wrong",
                "short_vqa",
                f"What colour is the circle sign at Gate {gate}?",
                wrong_colour,
                truth=t(sign),
            )
        else:
            b.add(
                "wrong",
                "judgement",
                f"Does the banner at Gate {gate} hang on the right?",
                "Yes",
                truth=t("No"),
            )
        # answers the caption does not support, four shapes
        shape = (i + 1) % 4
        if shape == 0:
            b.add(
                "unsupported",
                "short_vqa",
                f"What breed is the dog lying by Gate {gate}?",
                "a golden retriever",
                truth=t("a golden retriever", in_caption=False),
            )
        elif shape == 1:
            answer = (
                "It was built in 1889 for the World's Fair and was restored by Gustave "
                "Eiffel's company."
            )
            b.add(
                "unsupported",
                "long_vqa",
                f"What is the history of the landmark at Gate {gate}?",
                answer,
                truth=t(answer, in_caption=False, in_image=False),
            )
        elif shape == 2:
            b.add(
                "unsupported",
                "short_vqa",
                f"What is the name of the guard at Gate {gate}?",
                "Pierre Dubois",
                truth=t("Pierre Dubois", in_caption=False, in_image=False),
            )
        else:
            b.add(
                "unsupported",
                "judgement",
                f"Is the railing at Gate {gate} made of bronze?",
                "Yes",
                truth=t("Yes", in_caption=False, in_image=False),
            )
    # duplicates and paraphrases of the correct items
    shape = i % 3
    if shape == 0:
        b.add(
            "duplicate",
            "judgement",
            f"is the banner on the left of gate {gate} {banner} ?",
            "Yes",
            truth=t("Yes"),
        )
    elif shape == 1:
        options = next(
            x.choices
            for x in b.items
            if x.kind == "multiple_choice" and x.question.startswith("Which colour is the circle")
        )
        letter = next(
            x.answer
            for x in b.items
            if x.kind == "multiple_choice" and x.question.startswith("Which colour is the circle")
        )
        b.add(
            "duplicate",
            "multiple_choice",
            f"What is the colour of the circle sign at Gate {gate}?",
            letter,
            list(options),
            t(sign),
        )
    else:
        count = str(NUMBER_WORDS.index(NUMBER_WORDS[i % 5]) + 2)
        b.add(
            "duplicate",
            "short_vqa",
            f"How many birds are sitting on the railing at Gate {gate}?",
            count,
            truth=t(count),
        )
    if i >= 16:  # malformed items
        if i % 2 == 0:
            b.add(
                "malformed",
                "judgement",
                f"What colour is the banner at Gate {gate}?",
                "Yes",
                truth=t("Yes"),
            )
            b.add(
                "malformed",
                "short_vqa",
                f"What colour is the banner by Gate {gate}?",
                "红色的横幅",
                truth=t("红色的横幅"),
            )
        else:
            options = [LANDMARKS[i], LANDMARKS[i], LANDMARKS[0], LANDMARKS[1]]
            b.add(
                "malformed",
                "multiple_choice",
                f"Which landmark is shown behind Gate {gate}?",
                "A",
                options,
                t(LANDMARKS[i]),
            )
            b.add(
                "malformed",
                "judgement",
                f"How tall is the sign at Gate {gate}?",
                "No",
                truth=t("No"),
            )


def _poster(b: _Builder, i: int) -> str:
    n, day, colour = 100 + i, 3 + i, COLOURS[(i + 1) % 8]
    events = ["jazz concert", "football match", "book fair", "cooking class"]
    instruments = ["saxophone", "drum", "violin", "guitar"]
    event, instrument = events[i % 4], instruments[i % 4]
    caption = (
        f"Poster {n} announces a {event} on May {day}. The title is printed in {colour} "
        f"letters, and a {instrument} is drawn below the title."
    )
    t = Truth
    b.add("mc_skew", "multiple_choice", f"What event does poster {n} announce?", "A",
          [event, *[e for e in events if e != event]], t(event))  # fmt: skip
    b.add("mc_skew", "multiple_choice", f"What colour are the title letters on poster {n}?", "A",
          [colour, *[c for c in COLOURS if c != colour][:3]], t(colour))  # fmt: skip
    b.add("mc_skew", "multiple_choice", f"Which day in May is the event on poster {n}?", "A",
          [str(day), str(day + 1), str(day + 2), str(day + 3)], t(str(day)))  # fmt: skip
    b.add("mc_skew", "multiple_choice", f"Which instrument is drawn on poster {n}?", "A",
          [instrument, *[x for x in instruments if x != instrument]], t(instrument))  # fmt: skip
    return caption


def _species(b: _Builder, i: int) -> str:
    k, bird, colour = 40 + i, BIRDS[i % 5], COLOURS[(i + 2) % 8]
    caption = (
        f"A {bird} with {colour} feathers perches on a branch in enclosure {k}. Leaves frame "
        "the branch and the background is blurred."
    )
    t = Truth
    b.add(
        "yes_no_skew",
        "judgement",
        f"Is the bird in enclosure {k} perched on a branch?",
        "Yes",
        truth=t("Yes"),
    )
    b.add(
        "yes_no_skew",
        "judgement",
        f"Does the bird in enclosure {k} have {colour} feathers?",
        "Yes",
        truth=t("Yes"),
    )
    b.add(
        "yes_no_skew", "judgement", f"Is the bird in enclosure {k} a {bird}?", "Yes", truth=t("Yes")
    )
    b.add(
        "yes_no_skew",
        "judgement",
        f"Is the bird in enclosure {k} swimming in water?",
        "No",
        truth=t("No"),
    )
    return caption


def build(tmp_path: Path, config: ProjectConfig) -> Planted:
    """The planted project under ``tmp_path/project`` (config: the models to use)."""
    images = tmp_path / "images"
    make_images(images, {"landmark": 20, "posters": 15, "species": 20})
    project = Project(tmp_path / "project", config)
    collect_folder(project.store, images, "image_description")
    planted = Planted(project)
    caption_hash = CaptionStage.hash_of(project.config)
    gen_hash = GenerateStage.hash_of(project.config)
    by_domain: dict[str, list[str]] = {}
    for image in project.store.images():
        by_domain.setdefault(image.domain, []).append(image.id)
    builders: list[tuple[_Builder, Caption]] = []
    for domain, ids in sorted(by_domain.items()):
        for i, image_id in enumerate(ids):
            placeholder = Caption(id="-", image_id=image_id, text="-", language="en", model="m",
                                  prompt_version="v2", config_hash=caption_hash)  # fmt: skip
            b = _Builder(planted, image_id, domain, placeholder, gen_hash)
            text = {"landmark": _landmark, "posters": _poster, "species": _species}[domain](b, i)
            if domain == "landmark":
                _landmark_defects(b, i)
            caption = placeholder.model_copy(
                update={"id": Caption.make_id(image_id, caption_hash, text), "text": text}
            )
            b.provenance = b.provenance.model_copy(update={"caption_id": caption.id})
            b.items = [x.model_copy(update={"provenance": b.provenance}) for x in b.items]
            builders.append((b, caption))
    landmark = [b for b, _ in builders if b.domain == "landmark"]
    for source, target in zip(landmark[:3], landmark[17:], strict=True):
        original = next(
            x for x in source.items if x.kind == "long_vqa" and planted.category[x.id] == "correct"
        )
        copy = target.add("copy", "long_vqa", original.question, original.answer)
        target.items[-1] = copy.model_copy(update={"provenance": target.provenance})
        planted.original_of[copy.id] = original.id
    for b, caption in builders:
        project.store.complete_unit("caption", b.image_id, caption_hash, [caption])
        project.store.complete_unit("generate", f"{caption.id}:en", gen_hash, b.items,
                                    head=Head(b.image_id, "en", caption.id))  # fmt: skip
        project.store.complete_unit("generate", f"{caption.id}:zh", gen_hash, [],
                                    head=Head(b.image_id, "zh", caption.id))  # fmt: skip
    return planted

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

The correct Chinese items hold what must not be flagged: 一张, 一只, 十分, 5:30, ¥18, brand
names written in Latin letters (FRESH, Leica) and Chinese (星巴克, 尼康). Run this module
(``python tests/verify/planted_classes.py``) for the table of recall, false flags and
precision per check; tests/verify/test_planted_classes.py asserts the thresholds.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visinstruct.caption import CaptionStage
from visinstruct.collect import collect_folder
from visinstruct.config import ProjectConfig
from visinstruct.generate import GenerateStage
from visinstruct.project import Project
from visinstruct.records import Caption, Instruction, Provenance

CLASSES = ("judgement_form", "ungrounded_number", "ungrounded_name", "duplicate",
           "contradiction", "option_overlap", "language")  # fmt: skip
CHECK_OF = {"judgement_form": "judgement_form", "ungrounded_number": "grounding",
            "ungrounded_name": "grounding", "duplicate": "duplicate",
            "contradiction": "contradiction", "option_overlap": "option_overlap",
            "language": "language"}  # fmt: skip
BALANCE = ("yes_no_balance", "mc_balance")
SCENES = 12

EN = {
    "place": ["Lisbon", "Porto", "Seville", "Bruges", "Salzburg", "Krakow", "Ghent", "Bologna",
              "Bergen", "Galway", "Lucerne", "Valencia"],
    "other_place": ["Madrid", "Vienna", "Prague", "Munich", "Dublin", "Oslo", "Zurich",
                    "Milan", "Rome", "Athens", "Berlin", "Paris"],
    "person": ["Maria", "Sofia", "Helen", "Clara", "Nora", "Ingrid", "Lucia", "Greta", "Agnes",
               "Rosa", "Marta", "Elena"],
    "other_person": ["Jonathan", "Patrick", "Gregory", "Stefan", "Oliver", "Victor", "Andrew",
                     "Martin", "Simon", "Edward", "Henry", "Lucas"],
    "animal": ["cats", "pigeons", "dogs", "sparrows", "ducks", "rabbits", "cats", "pigeons",
               "dogs", "sparrows", "ducks", "rabbits"],
    "object": ["bench", "bicycle", "mailbox", "table", "flower pot", "umbrella", "bench",
               "bicycle", "mailbox", "table", "flower pot", "umbrella"],
    "sign": ["CAFE ROSA", "OPEN", "FRESH BREAD", "SALE", "BAKERY", "WELCOME", "TEA HOUSE",
             "BOOKS", "OPEN LATE", "FLOWERS", "GELATO", "PASTRY"],
    "time": ["5:30", "8:15", "9:45", "10:20", "11:05", "6:40", "7:25", "4:50", "3:35", "2:10",
             "1:55", "12:45"],
    "price": ["$4", "$3.50", "$5", "$2.80", "$6", "$4.20", "$3", "$5.50", "$2.50", "$7",
              "$3.80", "$4.60"],
    "brand": ["Canon", "Nikon", "Sony", "Leica", "Fujifilm", "Olympus", "Pentax", "Canon",
              "Nikon", "Sony", "Leica", "Fujifilm"],
    "other_brand": ["Hasselblad", "Ricoh", "Minolta", "Kodak", "Polaroid", "Sigma", "Zeiss",
                    "Panasonic", "Samsung", "Casio", "Mamiya", "Yashica"],
}  # fmt: skip
ZH = {
    "place": ["杭州", "成都", "西安", "苏州", "厦门", "青岛", "南京", "重庆", "昆明", "桂林",
              "拉萨", "上海"],
    "other_place": ["北京", "广州", "深圳", "天津", "武汉", "长沙", "郑州", "沈阳", "哈尔滨",
                    "济南", "福州", "合肥"],
    "person": ["李娜", "王芳", "张敏", "刘洋", "陈静", "杨丽", "赵雪", "黄婷", "周琳", "吴倩",
               "徐慧", "孙悦"],
    "other_person": ["张伟", "王强", "李军", "刘斌", "陈刚", "杨勇", "赵磊", "黄涛", "周杰",
                     "吴昊", "徐鹏", "孙浩"],
    "animal": ["猫", "鸽子", "狗", "麻雀", "鸭子", "兔子", "猫", "鸽子", "狗", "麻雀", "鸭子",
               "兔子"],
    "object": ["长椅", "自行车", "邮筒", "木桌", "花盆", "雨伞", "长椅", "自行车", "邮筒", "木桌",
               "花盆", "雨伞"],
    "sign": ["营业中", "OPEN", "新鲜面包", "SALE", "欢迎光临", "FRESH", "茶馆", "BOOKS",
             "鲜花", "CAFE", "星巴克", "BAKERY"],
    "time": ["5:30", "8:15", "9:45", "10:20", "11:05", "6:40", "7:25", "4:50", "3:35", "2:10",
             "1:55", "12:45"],
    "price": ["25元", "¥18", "30元", "¥22", "16元", "¥28", "35元", "¥15", "20元", "¥26", "32元",
              "¥19"],
    "brand": ["佳能", "尼康", "索尼", "Leica", "富士", "Sony", "佳能", "尼康", "索尼", "Leica",
              "富士", "Sony"],
    "other_brand": ["奥林巴斯", "宾得", "理光", "柯达", "松下", "三星", "奥林巴斯", "宾得",
                    "理光", "柯达", "松下", "三星"],
}  # fmt: skip
COLOURS_EN = ["yellow", "red", "blue", "green", "white", "black", "orange", "purple"]
COLOURS_ZH = ["黄色", "红色", "蓝色", "绿色", "白色", "黑色", "橙色", "紫色"]
WORDS_EN = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
WORDS_ZH = ["一", "两", "三", "四", "五", "六", "七", "八", "九"]


@dataclass
class Scene:
    """One image's facts in one language."""

    i: int
    language: str
    v: dict[str, str]
    count: int
    colour: str
    wrong: str
    others: list[str]

    @property
    def count_word(self) -> str:
        words = WORDS_EN if self.language == "en" else WORDS_ZH
        return words[self.count - 1]


def scene(i: int, language: str) -> Scene:
    table, colours = (EN, COLOURS_EN) if language == "en" else (ZH, COLOURS_ZH)
    colour, wrong = colours[i % 8], colours[(i + 3) % 8]
    others = [c for c in colours if c not in (colour, wrong)][i % 3 : i % 3 + 2]
    count = 1 + i % 6 if language == "zh" else 2 + i % 6  # Chinese scenes 0 and 6: 一只
    return Scene(i, language, {k: v[i] for k, v in table.items()}, count, colour, wrong, others)


def caption_en(s: Scene) -> str:
    v = s.v
    return (
        f"A street corner in {v['place']} at {v['time']}. {s.count_word.capitalize()} "
        f"{v['animal']} sit beside a {s.colour} {v['object']}, and a woman named "
        f"{v['person']} reads a menu. The sign above the door reads '{v['sign']}', and a board "
        f"lists coffee at {v['price']}. A {v['brand']} camera rests on a table."
    )


def caption_zh(s: Scene) -> str:
    v = s.v
    return (
        f"{v['place']}的一个街角，时间是{v['time']}。{s.count_word}只{v['animal']}待在一个"
        f"{s.colour}的{v['object']}旁边，一位名叫{v['person']}的女士正在看菜单。门上的招牌写着"
        f"“{v['sign']}”，价目板上咖啡的价格是{v['price']}。桌上放着一台{v['brand']}相机。"
    )


Item = tuple[str, str, str, str, list[str]]
"""(category, kind, question, answer, choices)."""


def _mc(question: str, right: str, wrong: list[str], at: int) -> tuple[str, str, list[str]]:
    options = [w for w in wrong if w != right][:3]
    options.insert(at % 4, right)
    return question, "ABCD"[at % 4], options


def clean_en(s: Scene) -> list[Item]:
    v, n = s.v, s.count
    q3, a3, o3 = _mc(f"What colour is the {v['object']}?", s.colour, [s.wrong, *s.others], s.i)
    counts = [str(x) for x in range(n - 1, n + 3)]
    q4, a4, o4 = _mc(f"How many {v['animal']} are next to the {v['object']}?", str(n),
                     counts, s.i + 1)  # fmt: skip
    long = (
        f"The photo shows a street corner in {v['place']}. {s.count_word.capitalize()} "
        f"{v['animal']} sit beside a {s.colour} {v['object']} while a woman named {v['person']} "
        f"reads a menu. The sign above the door reads {v['sign']}, a clock shows {v['time']}, "
        f"coffee costs {v['price']} and a {v['brand']} camera rests on a table."
    )
    return [
        ("clean", "judgement", f"Is the {v['object']} {s.colour}?", "Yes", []),
        ("clean", "judgement", f"Is the {v['object']} {s.wrong}?", "No", []),
        ("clean", "multiple_choice", q3, a3, o3),
        ("clean", "multiple_choice", q4, a4, o4),
        ("clean", "short_vqa", "What does the sign above the door say?", v["sign"], []),
        ("clean", "short_vqa", f"How many {v['animal']} are there?", s.count_word, []),
        ("clean", "short_vqa", "Who is reading the menu?", f"A woman named {v['person']}.", []),
        ("clean", "short_vqa", "What time is it?", f"It is {v['time']}.", []),
        ("clean", "long_vqa", "Describe the scene in detail.", long, []),
    ]


def clean_zh(s: Scene) -> list[Item]:
    v, n = s.v, s.count
    q3, a3, o3 = _mc(f"{v['object']}是什么颜色？", s.colour, [s.wrong, *s.others], s.i)
    counts = [f"{WORDS_ZH[x - 1] if x > 1 else '一'}只{v['animal']}" for x in range(n, n + 4)]
    q4, a4, o4 = _mc(f"{v['object']}旁边有几只{v['animal']}？", counts[0], counts[1:], s.i + 1)
    long = (
        f"这是一张在{v['place']}街角拍摄的照片。{s.count_word}只{v['animal']}待在一个{s.colour}的"
        f"{v['object']}旁边，显得十分悠闲。一位名叫{v['person']}的女士正在看菜单，门上的招牌写着"
        f"“{v['sign']}”。时钟显示{v['time']}，咖啡的价格是{v['price']}，桌上放着一台{v['brand']}相机。"
    )
    return [
        ("clean", "judgement", f"{v['object']}是{s.colour}的吗？", "是", []),
        ("clean", "judgement", f"{v['object']}是{s.wrong}的吗？", "否", []),
        ("clean", "multiple_choice", q3, a3, o3),
        ("clean", "multiple_choice", q4, a4, o4),
        ("clean", "short_vqa", "门上的招牌写着什么？", v["sign"], []),
        ("clean", "short_vqa", f"图中有几只{v['animal']}？", f"{s.count_word}只。", []),
        ("clean", "short_vqa", "谁在看菜单？", f"一位名叫{v['person']}的女士。", []),
        ("clean", "short_vqa", "时钟显示的是什么时间？", v["time"], []),
        ("clean", "long_vqa", "请详细描述这张图片。", long, []),
    ]


def defects_en(s: Scene) -> list[Item]:
    v, i, n = s.v, s.i, s.count
    forms = ["No idea", "yes", "Yes, it is.", "Maybe", "Not sure", "True", "Yes, there is one.",
             "YES", "no.", "Hard to say", "Cannot tell", "Probably not"]  # fmt: skip
    number = [
        ("short_vqa", "In which year was the building built?", f"In {1890 + 7 * i}."),
        ("short_vqa", "When does the café close?", f"At {i % 3 + 9}:{15 + i} pm."),
        ("long_vqa", "What is happening on the street?",
         f"A woman reads a menu while about {40 + i} people queue outside the café."),
        ("short_vqa", "How tall is the door?", f"About {210 + i} centimetres."),
    ]  # fmt: skip
    name = [
        ("short_vqa", "Which city is this street in?", f"It is in {v['other_place']}."),
        ("short_vqa", "What brand is the camera on the table?", v["other_brand"]),
        ("long_vqa", "Who is on the street?",
         f"A woman named {v['person']} reads a menu while her friend {v['other_person']} "
         "waits beside her."),
        ("short_vqa", "Who owns the café?", f"The café belongs to {v['other_person']}."),
    ]  # fmt: skip
    _, a3, o3 = _mc(f"What colour is the {v['object']}?", s.colour, [s.wrong, *s.others], s.i)
    duplicate: list[Item] = [
        ("duplicate", "judgement", f"in the picture, is the {v['object']} {s.colour} ?", "Yes", []),
        ("duplicate", "multiple_choice", f"What is the colour of the {v['object']} in the photo?",
         a3, o3),
        ("duplicate", "short_vqa", f"How many {v['animal']} are sitting there?", s.count_word, []),
        ("duplicate", "short_vqa", "what does the sign above the door say ?", v["sign"], []),
    ]  # fmt: skip
    wrong_letter = "ABCD"[(s.i + 1) % 4]
    contradiction: list[Item] = [
        ("contradiction", "judgement", f"Is the {v['object']} {s.colour} ?", "No", []),
        ("contradiction", "multiple_choice", f"Which colour is the {v['object']}?",
         wrong_letter, o3),
        ("contradiction", "short_vqa", f"how many {v['animal']} are there?", str(n + 2), []),
        ("contradiction", "short_vqa", "Who is reading the menu ?",
         f"A woman named {v['other_person']}.", []),
    ]  # fmt: skip
    animal = v["animal"]
    overlap: list[Item] = [
        ("option_overlap", "multiple_choice", f"What sits beside the {v['object']}?", "A",
         [f"{n} {animal}", f"{WORDS_EN[n - 1]} {animal}", f"{n + 3} {animal}", "nothing"]),
        ("option_overlap", "multiple_choice", f"What are the {animal} sitting beside?", "A",
         [f"a {v['object']}", f"the {v['object']}", "a lamp post", "a fountain"]),
        ("option_overlap", "multiple_choice", "Which colour is the sign?", "B",
         ["Brown", "brown", "Silver", "Gold"]),
        ("option_overlap", "multiple_choice", f"Which animals rest by the {v['object']}?", "A",
         [animal, animal.rstrip("s"), "horses", "goats"]),
    ]  # fmt: skip
    language: list[Item] = [
        ("language", "short_vqa", f"What colour is the {v['object']} by the door?",
         COLOURS_ZH[i % 8], []),
        ("language", "long_vqa", "What is written on the sign?",
         f"The sign above the door reads {v['sign']}, which means 欢迎光临 in Chinese.", []),
        ("language", "multiple_choice", "What is the woman holding?", "B",
         ["a cup", "一份菜单", "a phone", "a book"]),
        ("language", "short_vqa", f"{ZH['object'][i]}是什么颜色？", s.colour, []),
    ]  # fmt: skip
    k, f = i % 4, forms[i]
    return [
        ("judgement_form", "judgement", f"Is there a {v['brand']} camera on the table?", f, []),
        ("ungrounded_number", *number[k], []),
        ("ungrounded_name", *name[k], []),
        duplicate[k], contradiction[k], overlap[k], language[k],
    ]  # fmt: skip


def defects_zh(s: Scene) -> list[Item]:
    v, i, n = s.v, s.i, s.count
    forms = ["是的", "不是", "Yes", "No", "对", "不知道", "可能是", "是，有一台相机。", "否。",
             "没有", "不确定", "看不清"]  # fmt: skip
    number = [
        ("short_vqa", "这栋楼是哪一年建成的？", f"{1890 + 7 * i}年。"),
        ("short_vqa", "咖啡馆几点关门？", f"晚上{WORDS_ZH[i % 3 + 6]}点{15 + i}分。"),
        ("long_vqa", "街上正在发生什么？", f"一位女士在看菜单，门外大约有{40 + i}个人在排队。"),
        ("short_vqa", "这扇门有多高？", f"大约两米{10 + i}厘米。"),
    ]  # fmt: skip
    name = [
        ("short_vqa", "这条街在哪座城市？", f"在{v['other_place']}。"),
        ("short_vqa", "桌上的相机是什么牌子？", f"{v['other_brand']}。"),
        ("long_vqa", "街上有哪些人？",
         f"一位名叫{v['person']}的女士在看菜单，她的朋友{v['other_person']}在旁边等她。"),
        ("short_vqa", "这家咖啡馆的老板是谁？", f"老板是{v['other_person']}。"),
    ]  # fmt: skip
    _, a3, o3 = _mc(f"{v['object']}是什么颜色？", s.colour, [s.wrong, *s.others], s.i)
    duplicate: list[Item] = [
        ("duplicate", "judgement", f"图片中的{v['object']}是{s.colour}的吗？", "是", []),
        ("duplicate", "multiple_choice", f"图中的{v['object']}是什么颜色的？", a3, o3),
        ("duplicate", "short_vqa", f"这张图片中有几只{v['animal']}呢？", f"{s.count_word}只。", []),
        ("duplicate", "short_vqa", "这张图片中门上的招牌写着什么？", v["sign"], []),
    ]  # fmt: skip
    wrong_letter = "ABCD"[(s.i + 1) % 4]
    contradiction: list[Item] = [
        ("contradiction", "judgement", f"{v['object']}是{s.colour}的吗", "否", []),
        ("contradiction", "multiple_choice", f"{v['object']}是什么颜色的？", wrong_letter, o3),
        ("contradiction", "short_vqa", f"图中有几只{v['animal']}呢？", f"{WORDS_ZH[n + 1]}只。",
         []),
        ("contradiction", "short_vqa", "谁在看菜单呢？", f"一位名叫{v['other_person']}的女士。",
         []),
    ]  # fmt: skip
    animal, obj = v["animal"], v["object"]
    word = WORDS_ZH[n - 1] if n > 1 else "一"
    overlap: list[Item] = [
        ("option_overlap", "multiple_choice", f"{obj}旁边有什么？", "A",
         [f"{word}只{animal}", f"{n}只{animal}", f"{WORDS_ZH[n + 2]}只{animal}", "什么也没有"]),
        ("option_overlap", "multiple_choice", "招牌是什么颜色的？", "C",
         ["棕色", "棕色的", "银色", "金色"]),
        ("option_overlap", "multiple_choice", f"{animal}待在什么旁边？", "A",
         [f"一个{obj}", f"1个{obj}", "一根路灯", "一座喷泉"]),
        ("option_overlap", "multiple_choice", "招牌上写的英文是什么？", "A",
         ["OPEN", "open", "CLOSED", "SALE"]),
    ]  # fmt: skip
    language: list[Item] = [
        ("language", "short_vqa", f"门边的{obj}是什么颜色？", COLOURS_EN[i % 8], []),
        ("language", "short_vqa", "图中有什么动物？", EN["animal"][i].capitalize() + ".", []),
        ("language", "long_vqa", f"请描述{v['person']}在做什么。",
         f"她站在街角，正在reading a menu，旁边是一个{s.colour}的{obj}。", []),
        ("language", "short_vqa", f"What colour is the {EN['object'][i]}?", s.colour, []),
    ]  # fmt: skip
    k, f = i % 4, forms[i]
    return [
        ("judgement_form", "judgement", f"桌上有一台{v['brand']}相机吗？", f, []),
        ("ungrounded_number", *number[k], []),
        ("ungrounded_name", *name[k], []),
        duplicate[k], contradiction[k], overlap[k], language[k],
    ]  # fmt: skip


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
        id=Instruction.make_id(image_id, kind, language, question, choices, answer),
        image_id=image_id, domain=f"scene_{language}", kind=kind, language=language,  # type: ignore[arg-type]
        question=question, choices=list(choices), answer=answer, provenance=provenance,
    )  # fmt: skip


def _partner_of(item: Item, clean: list[Item]) -> int:
    """Which correct item a planted contradiction contradicts: the one of its kind whose
    question differs least."""
    from difflib import SequenceMatcher

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
            project.store.complete_unit("generate", f"{caption.id}:{language}", gen_hash, items)
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
    items = {i.id: i for i in planted.project.store.instructions(config_hash)}
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

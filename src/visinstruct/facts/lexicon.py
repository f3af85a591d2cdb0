"""Words the templates need beyond the facts: object categories, plurals, Chinese names.

Multiple-choice distractors and "No" questions about objects are drawn from the category of
the object asked about (a cat's distractors are other animals), so an option cannot be ruled
out for being of the wrong kind. Members were chosen so that none hides, unlabelled, in the
background of an ordinary photograph (no "building", "tree" or "car"): an object absent from
an image's labels is only asked about when it is implausible there, and the labels are the
closed list of what an image shows.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "DIRECTIONS",
    "FAKE_FIELDS",
    "LINES",
    "OPPOSITE",
    "category_of",
    "measure_word",
    "plural",
    "zh_name",
]

# category -> members, each (English, Chinese, Chinese measure word).
# fmt: off
CATEGORIES: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    "animal": (("cat", "猫", "只"), ("dog", "狗", "只"), ("rabbit", "兔子", "只"),
               ("parrot", "鹦鹉", "只"), ("elephant", "大象", "头"), ("horse", "马", "匹")),
    "person": (("woman", "女子", "位"), ("man", "男子", "位"), ("child", "孩子", "个")),
    "vehicle": (("motorcycle", "摩托车", "辆"), ("bicycle", "自行车", "辆"),
                ("bus", "公共汽车", "辆"), ("tractor", "拖拉机", "辆"), ("sailboat", "帆船", "艘")),
    "tableware": (("coffee cup", "咖啡杯", "个"), ("saucer", "碟子", "个"),
                  ("spoon", "勺子", "把"), ("teapot", "茶壶", "把"), ("fork", "叉子", "把"),
                  ("wine glass", "葡萄酒杯", "个")),
    "furniture": (("wooden table", "木桌", "张"), ("shelf", "架子", "个"), ("bench", "长凳", "条"),
                  ("sofa", "沙发", "张"), ("bed", "床", "张"), ("wardrobe", "衣柜", "个")),
    "equipment": (("camera", "相机", "台"), ("tripod", "三脚架", "个"),
                  ("helmet", "头盔", "个"), ("laptop", "笔记本电脑", "台"),
                  ("guitar", "吉他", "把"), ("umbrella", "雨伞", "把")),
    "clothing": (("spacesuit", "宇航服", "套"), ("coat", "外套", "件"), ("raincoat", "雨衣", "件"),
                 ("wedding dress", "婚纱", "件")),
    "spacecraft": (("rocket", "火箭", "枚"), ("space shuttle model", "航天飞机模型", "个"),
                   ("satellite", "人造卫星", "颗"), ("hot-air balloon", "热气球", "个")),
    "structure": (("launch tower", "发射塔", "座"), ("lighthouse", "灯塔", "座"),
                  ("windmill", "风车", "座"), ("bridge", "桥", "座")),
    "sky object": (("galaxy", "星系", "个"), ("comet", "彗星", "颗"), ("rainbow", "彩虹", "道")),
    "money": (("coins", "硬币", "枚"), ("banknotes", "纸币", "张"),
              ("credit card", "信用卡", "张")),
    "flag": (("American flag", "美国国旗", "面"), ("Japanese flag", "日本国旗", "面"),
             ("French flag", "法国国旗", "面")),
    "shape": (("circle", "圆形", "个"), ("triangle", "三角形", "个"), ("star shape", "星形", "个")),
}
# fmt: on

CATEGORY_NAMES: Mapping[str, tuple[str, str]] = {
    "animal": ("animal", "动物"),
    "person": ("person", "人物"),
    "vehicle": ("vehicle", "交通工具"),
    "tableware": ("piece of tableware", "餐具"),
    "furniture": ("piece of furniture", "家具"),
    "equipment": ("piece of equipment", "器材"),
    "clothing": ("piece of clothing", "服装"),
    "spacecraft": ("spacecraft", "航天器"),
    "structure": ("structure", "建筑物"),
    "sky object": ("object in the sky", "天体"),
    "money": ("kind of money", "钱币"),
    "flag": ("flag", "旗帜"),
    "shape": ("shape", "图形"),
}

# Relative positions: (English phrase, Chinese phrase, short English answer).
DIRECTIONS: Mapping[str, tuple[str, str, str]] = {
    "left of": ("to the left of", "左边", "To the left"),
    "right of": ("to the right of", "右边", "To the right"),
    "above": ("above", "上方", "Above"),
    "below": ("below", "下方", "Below"),
}
OPPOSITE: Mapping[str, str] = {
    "left of": "right of",
    "right of": "left of",
    "above": "below",
    "below": "above",
}

# Countable things with no category: never offered as absent objects (a photo of a woman has
# eyes), only counted where a manifest says how many there are.
_UNCATEGORISED: tuple[tuple[str, str, str], ...] = (
    ("wheels", "车轮", "个"), ("eyes", "眼睛", "只"), ("tripod legs", "三脚架的腿", "条"),
    ("bars", "柱子", "根"), ("data points", "数据点", "个"), ("pie slices", "扇形", "块"),
    ("lines of text", "文字", "行"),
)  # fmt: skip
_MEMBERS = {en.casefold(): (cat, zh, mw) for cat, ms in CATEGORIES.items() for en, zh, mw in ms}
_MEMBERS |= {en.casefold(): ("", zh, mw) for en, zh, mw in _UNCATEGORISED}
LINES = "lines of text"  # the count subject for an image's text lines
_IRREGULAR = {"woman": "women", "man": "men", "child": "children", "person": "people"}


def category_of(name: str) -> str | None:
    entry = _MEMBERS.get(name.casefold())
    return entry[0] if entry and entry[0] else None


def zh_name(name: str) -> str | None:
    entry = _MEMBERS.get(name.casefold())
    return entry[1] if entry else None


def measure_word(name: str) -> str:
    """The Chinese classifier counting ``name`` (``枚`` for coins); ``个`` when unknown."""
    entry = _MEMBERS.get(name.casefold())
    return entry[2] if entry else "个"


def plural(noun: str) -> str:
    """English plural of a label, leaving labels that are already plural alone."""
    words = noun.split()
    if not words or noun == LINES:
        return noun
    last = words[-1]
    if last.casefold() in _IRREGULAR:
        last = _IRREGULAR[last.casefold()]
    elif last.endswith(("s", "x", "ch", "sh")) and not last.endswith(("ss",)):
        return noun if last.endswith("s") else noun + "es"
    elif last.endswith("ss"):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join([*words[:-1], last])


# Named lines of visible text that are not the image's: distractors for "when", "where",
# "how much" questions, each (English, Chinese).
FAKE_FIELDS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "event": (("SPRING FILM FESTIVAL", "春季电影节"), ("NIGHT MARKET", "夜市"),
              ("CHARITY FUN RUN", "慈善长跑")),
    "date": (("Sunday 3 March", "3月3日星期日"), ("Monday 12 May, 7 pm", "5月12日星期一晚上7点"),
             ("Thursday 2 October", "10月2日星期四")),
    "venue": (("Harbour Square", "海港广场"), ("Old Town Theatre", "老城剧院"),
              ("Botanical Garden Lawn", "植物园草坪")),
    "price": (("Tickets 10 euros", "门票10欧元"), ("Entry 2 euros", "入场费2欧元"),
              ("Tickets 15 euros", "门票15欧元")),
    "heading": (("Edge detection", "Edge detection"), ("Image filtering", "Image filtering"),
                ("Histogram equalisation", "Histogram equalisation")),
}  # fmt: skip

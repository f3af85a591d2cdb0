"""Text measures the verification checks share: tokens, numbers, names, yes/no words.

All of it is deliberately simple and language-aware in the two languages the engine writes:
English by words, Chinese by characters (no segmenter is needed to compare or shingle). The
one exception is Chinese proper names, which only a dictionary can tell from ordinary words
(:func:`zh_names_in`, with jieba).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from visinstruct.seeds._text import canonical, normalise

__all__ = [
    "counts_in",
    "foreign_han",
    "foreign_latin",
    "is_no",
    "is_yes",
    "latin_words",
    "names_in",
    "numbers_in",
    "option_tokens",
    "question_sequence",
    "question_tokens",
    "tokens",
    "yes_no_of",
    "zh_names_in",
]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A Chinese character is a token of its own, and ends a run of letters or digits (Leica相机).
_TOKEN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)
_DIGITS = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
_EN_NUMBERS = {
    "zero": 0, "none": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "single": 1,
    "both": 2, "pair": 2, "twice": 2,
}  # fmt: skip
# "One" is as often a pronoun ("one of the cats") as a number, like 一 in 一只: a count only
# where a count is asked (:func:`counts_in`).
_EN_ONE = re.compile(r"\b(?:one|once)\b", re.IGNORECASE)
_ZH_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}  # fmt: skip
_ZH_NUMBER = re.compile(r"[零一二两三四五六七八九十百千万]+")
_YES = {"yes", "y", "true", "correct", "right", "yeah", "是", "是的", "对", "对的", "正确", "有"}
_NO = {"no", "n", "false", "incorrect", "wrong", "否", "不是", "不", "不对", "错", "错误", "没有"}
# Capitalised words that are not names however they are written.
_NOT_NAMES = frozenset(
    str.split(
        "i a an the this that these those it its there here he she they we you yes no not and or "
        "but in on at of to for with by from as is are was were be been what which who where when "
        "why how image picture photo photograph left right top bottom center centre front back"
    )
)


def tokens(text: str) -> list[str]:
    """Words of ``text`` after :func:`normalise`; each Chinese character is a token."""
    return _TOKEN.findall(normalise(text))


_AUXILIARIES = frozenset(
    ["is", "are", "was", "were", "am", "be", "been", "being", "does", "do", "did"]
)
_SAME_WORD = {"which": "what", "color": "colour", "colors": "colours", "gray": "grey"}


def _stem(word: str) -> str:
    """A light English stem ("sitting", "sits" -> "sit"; "birds" -> "bird"): enough to
    match inflections in paraphrases without a dictionary."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and word.isascii():
            word = word[: -len(suffix)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]
            break
    return word


# "In the image" said in Chinese (图中, 图片里 ...) once canonical has made every synonym 图.
_ZH_IN_IMAGE = re.compile("图[中里上内]")


def question_sequence(text: str) -> list[str]:
    """The tokens that carry a question's meaning, in order: :func:`canonical` drops
    articles, fillers and "image" synonyms; auxiliaries and "in the image" (图中) go too, and
    words are lightly stemmed, so two wordings of one question share (nearly) all of them.
    ("image" goes as well: every question here is about the image.)"""
    words = _TOKEN.findall(_ZH_IN_IMAGE.sub("", canonical(text))) or tokens(text)
    return [
        _stem(_SAME_WORD.get(w, w))
        for w in words
        if w not in _AUXILIARIES and w not in ("image", "images")
    ]


def question_tokens(text: str) -> set[str]:
    """:func:`question_sequence` as a set: what near-duplicate questions share."""
    return set(question_sequence(text))


_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
# Measure words and units after which a numeral counts something. Left out on purpose, since
# they make words whose numeral counts nothing: 分 (十分 "very"; 分钟 is kept), 角 (三角形),
# 周 (四周 "all around"), 边/侧/旁 (两边 "both sides"), 明 (三明治), 字 (十字).
_ZH_MEASURES = (
    "分钟", "小时", "公里", "千米", "厘米", "毫米", "公斤", "千克", "毫升", "平方", "星期",
    *"个只条张位名人辆棵本块种次件把台头匹座栋层间双对杯瓶盒包袋片朵颗粒枚支根架艘列行排处道份"
    "页幅首篇部段节岁年月日天号点元米克斤磅升秒倍度级盏扇面顶套串束碗盘",
)  # fmt: skip


def _zh_value(numeral: str) -> int | None:
    """一 → 1, 十二 → 12, 三百零五 → 305, 两万 → 20000; None for what is no single number
    (五六 "five or six", 一一 "one by one", 万一 "in case")."""
    if numeral[0] in "百千万":
        return None
    total = section = 0
    digit: int | None = None
    for char in numeral:
        if char == "零":
            digit = None
        elif char in _ZH_DIGIT:
            if digit is not None:
                return None
            digit = _ZH_DIGIT[char]
        elif char in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[char]
            digit = None
        else:  # 万
            total += (section + (digit or 0)) * 10_000
            section, digit = 0, None
    return total + section + (digit or 0)


def _zh_numbers(text: str) -> set[str]:
    """The Chinese numerals of ``text`` that are numbers. A compound numeral (十二, 三百) always
    is; a single one only before a measure word (三只, 两个, 十分钟, not 十分 or 星期三); and
    一 alone never, since 一张 / 一只 are what "a" is in English (一 inside 十一 still counts)."""
    found = set()
    for match in _ZH_NUMBER.finditer(text):
        numeral = match.group()
        compound = len(numeral) > 1 and any(c in "十百千万" for c in numeral)
        counted = numeral != "一" and text.startswith(_ZH_MEASURES, match.end())
        value = _zh_value(numeral) if compound or counted else None
        if value is not None:
            found.add(str(value))
    return found


def _canonical_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def numbers_in(text: str) -> set[str]:
    """Every number ``text`` states, as digits: "3", "three", "三只" and "1,000" all count
    (see :func:`_zh_numbers` for which Chinese numerals are numbers)."""
    found = {_canonical_number(float(m.replace(",", ""))) for m in _DIGITS.findall(text)}
    folded = unicodedata.normalize("NFKC", text).casefold()
    for word in re.findall(r"[a-z]+", folded):
        if word in _EN_NUMBERS:
            found.add(str(_EN_NUMBERS[word]))
    return found | _zh_numbers(text)


def names_in(text: str, *, leading: bool = False) -> set[str]:
    """Latin words written as names (capitalised mid-sentence, ALL CAPS, or with inner
    capitals and digits such as "iPhone 15"), lower-cased. The first word of a sentence is a
    name only when its shape says so, since capitals there say nothing, or with ``leading``
    (a short answer to "who" or "which brand": "Casio."); in Chinese prose there are no
    sentence capitals, so every capitalised Latin word there is a name."""
    names: set[str] = set()
    chinese = has_han(text)
    sentence_start = not leading
    for match in re.finditer(r"[A-Za-z][A-Za-z0-9'’\-]*|[.!?:;]", text):
        word = match.group()
        if word in ".!?:;":
            sentence_start = True
            continue
        shaped = (word.isupper() and len(word) >= 2) or any(c.isupper() for c in word[1:])
        capital = word[0].isupper() and (chinese or not sentence_start)
        if (shaped or capital) and word.lower() not in _NOT_NAMES:
            names.add(word.lower().strip("'’-"))
        sentence_start = False
    return names


# Part-of-speech tags jieba gives proper names: people (nr, nrfg, nrt), places (ns),
# organisations (nt) and other proper nouns such as brands and works (nz).
_ZH_NAME_TAGS = ("nr", "ns", "nt", "nz")
# jieba's dictionary gives each word one tag, and tags some ordinary words as names (安静 nr,
# 太阳 ns, 和平 nz). These are such words of its 1,000 most frequent name-tagged entries that
# an image description may use; a rarer mistagged word can still be read as a name.
_NOT_ZH_NAMES = frozenset(
    str.split(
        "叶子 阳光 白雪 白云 安静 明白 古老 宫殿 胡同 顾客 小姐 师傅 师兄 宝贝 宝贵 玉米 玉石 石英 "
        "花岗岩 汉白玉 和尚 侍卫 明星 卫星 雷达 鱼雷 文明 智慧 光荣 光辉 友谊 公正 康复 保健 冷笑 "
        "谢谢 齐全 齐声 英勇 辛勤 荣誉 道德 权威 言语 老公 老太太 胡子 白领 青少年 高峰 高潮 丘陵 "
        "望远镜 米粉 红旗 金殿 凤凰 帝王 太后 王公 王府 王朝 王爷 子孙 祖先 祖宗 寻思 封锁 宣言 "
        "武功 武林 文武 黄金周 古建筑 东西 城市 城镇 大海 山坡 山区 山水 山河 山脉 平原 湖泊 河谷 "
        "冰川 高原 高山 海洋 海峡 大街 大桥 大国 王国 外国 古典 古城 新鲜 太阳 长度 深度 福利 青春 "
        "长大 哥哥 阿哥 美丽 英雄 神圣 爱国 治安 普及 日志 庆典 上市 上马 回国 新建 开国 建国 莲蓬 "
        "琉璃瓦 商城 阴阳 江湖 江山 内河 云集 莫非 太平 中路 南路 南北 东南 西南 西北 东北 和平 "
        "奇特 普通 精华 家族 抗议 汇报 通讯 论文 正文 中毒 大战 英文 英语 中文 汉语 百科 金银 "
        "天文学 二人 令人 保姆 崇高 崇拜 胡说 多谢 登基 石桥 落山 石狮子 高楼 高大 高兴 "
        "黄色 白色 金色 "
        "石头 石板 石阶 林荫 江边 河边 海边 湖边 湖水 河水 海水 江水 泉水 山顶 山脚 高速 方向 周围 "
        "周边 万里 何时 海滩 海湾 山峰 池塘 海岛 城堡 古镇 夕阳"
    )
)
# The commonest Chinese surnames (about 85% of people): a dictionary word tagged as a person
# or other proper name counts only when it starts with one (王建国 yes, 小狗 no).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤"
)
# A dictionary frequency under which a word tagged as a person's name is one (宾得 3, 尼康 8,
# 星巴克 29) whatever its first character; the ordinary words mistagged so (小狗 155, 安静
# 1,199) are commoner.
_RARE = 100
_jieba_ready = threading.Lock()


def _tagger() -> Callable[[str], Iterable[Any]]:
    """jieba's part-of-speech ``cut``, its dictionary loaded (under a second) on first use."""
    import jieba  # type: ignore[import-untyped]  # imported late: only Chinese text needs it
    import jieba.posseg  # type: ignore[import-untyped]

    if not jieba.dt.initialized:
        with _jieba_ready:
            jieba.setLogLevel(logging.WARNING)  # it logs its loading to stderr otherwise
            jieba.initialize()
    cut: Callable[[str], Iterable[Any]] = jieba.posseg.cut
    return cut


def zh_names_in(text: str) -> set[str]:
    """Chinese proper names in ``text`` (people, places, organisations, brands), as jieba's
    tagger finds them. Why a library: Chinese has no capitals and no spaces, so telling 王建国
    or 巴黎 from ordinary words needs a dictionary and a tagger; jieba is pure Python and ships
    its dictionary (no model download).

    Its dictionary gives each word one tag, and many ordinary words a name's (小狗 nr, 太阳
    ns), so a tag is trusted as it is only for words outside the dictionary (names its model
    recognised: 王芳, 张伟), and for dictionary places, organisations and transliterated names
    (巴黎, 北京大学, 切尔西) less :data:`_NOT_ZH_NAMES`; a dictionary person's name must start
    with a common surname (李娜, not 古老) or be rare in the dictionary (宾得, 尼康; not 小狗),
    and its "other proper nouns" (nz: 和平, 遮阳伞) are not trusted at all. So common brands
    the dictionary files under person names (索尼, 柯达), as nouns (佳能, 理光) or as nz (三星)
    go unseen, and a rare ordinary word it tags as a person (丁香花) is still read as a name."""
    if not has_han(text):
        return set()
    import jieba

    names = set()
    for pair in _tagger()(text):
        word, flag = pair.word, pair.flag
        if not flag.startswith(_ZH_NAME_TAGS) or len(word) < 2 or not has_han(word):
            continue
        frequency = jieba.dt.FREQ.get(word, 0)
        if not frequency:  # outside the dictionary: a name jieba's model recognised
            names.add(word)
        elif word in _NOT_ZH_NAMES or flag.startswith("nz"):
            continue
        elif flag == "nr":
            person = word[0] in _SURNAMES and len(word) <= 3
            if person or frequency < _RARE:
                names.add(word)
        else:  # places, organisations, transliterated names
            names.add(word)
    return names


def yes_no_of(text: str) -> str | None:
    """ "yes" or "no" when ``text`` starts with a yes or no word (either language), else None."""
    plain = unicodedata.normalize("NFKC", text).strip(" \t\r\n*_`\"'“”‘’()[]").casefold()
    first = re.split(r"[\s,.!;:，。！；：、]", plain, maxsplit=1)[0]
    if first in _YES:
        return "yes"
    if first in _NO:
        return "no"
    if plain.startswith(("不是", "没有", "不对")):
        return "no"
    if plain.startswith(("是", "对", "有")):
        return "yes"
    return None


def is_yes(text: str) -> bool:
    return yes_no_of(text) == "yes"


def is_no(text: str) -> bool:
    return yes_no_of(text) == "no"


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Latin words Chinese writing uses as they are: units, times of day, currencies, ordinals.
_UNIT_WORDS = frozenset(
    str.split(
        "am pm kg g mg km m cm mm ml l h hr hrs min s sec x vs mph kph kb mb gb tb px dpi hz khz "
        "mhz ghz w kw kwh v mah usd rmb cny eur gbp jpy hkd st nd rd th ok"
    )
)


def latin_words(text: str) -> list[str]:
    """The Latin-letter words of ``text`` (apostrophes and hyphens inside kept)."""
    return [w.strip("'’-") for w in _LATIN_WORD.findall(text)]


def foreign_latin(text: str, known: set[str]) -> list[str]:
    """The Latin words of Chinese ``text`` that are English writing, not what Chinese writes
    as is. Allowed: single letters (A4, 选项B), words shaped as names or brands (ALL CAPS,
    inner capitals: FRESH, iPhone), units and times (kg, 5:30 pm), words in ``known`` (what
    the image's OCR text, prior or caption names spell), and, inside Chinese prose, any
    capitalised word (a name: 这是Apple的标志). A text with no Chinese at all is allowed only
    such words, so a one-word English answer ("red", "Red") is caught."""
    prose = has_han(text)
    found = []
    for match in _LATIN_WORD.finditer(text):
        word = match.group().strip("'’-")
        lower = word.lower()
        shaped = len(word) <= 1 or word.isupper() or any(c.isupper() for c in word[1:])
        if shaped or lower in _UNIT_WORDS or lower in known or (prose and word[0].isupper()):
            continue
        found.append(word)
    return found


def foreign_han(text: str, known_text: str) -> list[str]:
    """The runs of Chinese characters in English ``text`` that ``known_text`` (OCR text and
    prior, where a sign may be quoted as written) does not hold."""
    return [run for run in _HAN_RUN.findall(text) if run not in known_text]


_ZH_COUNTED = re.compile(
    "([零一二两三四五六七八九十百千万]+)(?=" + "|".join(map(re.escape, _ZH_MEASURES)) + ")"
)


def _digits_for(match: re.Match[str]) -> str:
    value = _zh_value(match.group(1))
    return match.group(1) if value is None else str(value)


def counts_in(text: str) -> set[str]:
    """:func:`numbers_in`, but 一 before a measure word and "one" count too: where a text
    answers "how many" (一只 against 三只), they are the number 1 and not an article."""
    return numbers_in(_EN_ONE.sub("1", _ZH_COUNTED.sub(_digits_for, text)))


def option_tokens(text: str) -> list[str]:
    """An option's meaning-bearing tokens: case, punctuation and articles dropped, number
    words and Chinese numerals before a measure word written as digits (two, 两个 → 2,
    2个), English words lightly stemmed (cats → cat), a trailing 的 dropped."""
    folded = _ZH_COUNTED.sub(_digits_for, unicodedata.normalize("NFKC", text).casefold())
    words = tokens(folded.rstrip("的 .。"))
    return [
        str(_EN_NUMBERS[w]) if w in _EN_NUMBERS else _stem(w)
        for w in words
        if w not in ("a", "an", "the")
    ]

"""The items of the per-class planted set (see tests/verify/planted_classes.py): twelve street
scenes per language, their captions, the correct items and one planted defect of every class
per scene, each class in six shapes (so two of each per language)."""

from __future__ import annotations

from dataclasses import dataclass

CLASSES = ("judgement_form", "ungrounded_number", "ungrounded_name", "duplicate",
           "contradiction", "option_overlap", "language")  # fmt: skip
CHECK_OF = {"judgement_form": "judgement_form", "ungrounded_number": "grounding",
            "ungrounded_name": "grounding", "duplicate": "duplicate",
            "contradiction": "contradiction", "option_overlap": "option_overlap",
            "language": "language"}  # fmt: skip
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


# Generic descriptions, none of their words in the caption: written once, never tuned against
# the checks, to show what the Chinese name tagger does with ordinary words.
AMBIENCE_EN = [
    "It looks like a calm afternoon, and the street seems quiet and clean.",
    "The light is soft and warm, so the corner feels friendly and relaxed.",
    "It seems a peaceful moment: nobody hurries and the air looks fresh.",
    "The street looks tidy, with old stone walls and a few green plants.",
    "The mood is cheerful; the colours are bright and the shadows short.",
    "It feels like a lazy weekend morning in a small neighbourhood.",
]
AMBIENCE_ZH = [
    "看起来是一个平静的下午，街道干净整洁，行人不多，气氛轻松。",
    "光线柔和温暖，墙边种着几盆绿植，整个街角显得温馨舒适。",
    "这里很悠闲，没有人匆忙赶路，空气看上去很清新，远处有几棵梧桐树。",
    "老房子的砖墙有些斑驳，屋檐下挂着灯笼，地面铺着青石板。",
    "画面色彩明快，阴影很短，像是晴朗的中午，天空中有几朵云。",
    "这像是一个慵懒的周末早晨，小巷里飘着咖啡和面包的香味。",
]


def _ambience(texts: list[str], i: int) -> str:
    """One text per scene, none the copy of another (the second six join two)."""
    return texts[i] if i < 6 else texts[(i + 1) % 6] + " " + texts[(i + 3) % 6]


def _twice(price: str) -> str:
    """Two of ``price`` written as it is ($3.50 → $7, ¥18 → ¥36, 25元 → 50元)."""
    value = float(price.strip("$¥元"))
    doubled = f"{2 * value:g}"
    return price.replace(price.strip("$¥元"), doubled)


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
        # Both directions of one relation: the same words, not the same question.
        ("clean", "judgement", "Is the camera on the table?", "Yes", []),
        ("clean", "judgement", "Is the table on the camera?", "No", []),
        ("clean", "short_vqa", "How much do two coffees cost?", _twice(v["price"]), []),
        ("clean", "short_vqa", "What brand is the camera?", f"{v['brand']}.", []),
        ("clean", "long_vqa", "What is the atmosphere like?", _ambience(AMBIENCE_EN, s.i), []),
        (
            "clean",
            "long_vqa",
            "What are the animals doing?",
            f"One of the {v['animal']} watches {v['person']} read the menu in {v['place']}, while "
            f"the others rest beside the {s.colour} {v['object']} under the {v['sign']} sign.",
            [],
        ),
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
        # Both directions of one relation: the same characters, not the same question.
        ("clean", "judgement", "相机在桌子上吗？", "是", []),
        ("clean", "judgement", "桌子在相机上吗？", "否", []),
        ("clean", "short_vqa", "两杯咖啡一共多少钱？", _twice(v["price"]), []),
        ("clean", "short_vqa", "那台相机是哪个品牌的？", f"是{v['brand']}的。", []),
        ("clean", "long_vqa", "街角的氛围怎么样？", _ambience(AMBIENCE_ZH, s.i), []),
        (
            "clean",
            "long_vqa",
            f"{v['animal']}在做什么？",
            f"其中一只{v['animal']}在看着{v['person']}看菜单，其余的在{s.colour}的{v['object']}旁边"
            f"休息，{v['place']}的街角十分安静。",
            [],
        ),
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
        ("short_vqa", "How far is the café from the station?", f"About {350 + i} metres."),
        ("long_vqa", "What can you tell about the café?",
         f"The café opened in {1950 + i} and serves coffee at {v['price']}."),
    ]  # fmt: skip
    name = [
        ("short_vqa", "Which city is this street in?", f"It is in {v['other_place']}."),
        ("short_vqa", "What brand is the camera on the table?", v["other_brand"]),
        ("long_vqa", "Who is on the street?",
         f"A woman named {v['person']} reads a menu while her friend {v['other_person']} "
         "waits beside her."),
        ("short_vqa", "Who owns the café?", f"The café belongs to {v['other_person']}."),
        ("short_vqa", "What is the name of the street?", f"{v['other_person']} Street."),
        ("long_vqa", "What is the café known for?",
         f"It is known for the pastries of chef {v['other_person']} Dubois."),
    ]  # fmt: skip
    _, a3, o3 = _mc(f"What colour is the {v['object']}?", s.colour, [s.wrong, *s.others], s.i)
    duplicate: list[Item] = [
        ("duplicate", "judgement", f"in the picture, is the {v['object']} {s.colour} ?", "Yes", []),
        ("duplicate", "multiple_choice", f"What is the colour of the {v['object']} in the photo?",
         a3, o3),
        ("duplicate", "short_vqa", f"How many {v['animal']} are sitting there?", s.count_word, []),
        ("duplicate", "short_vqa", "what does the sign above the door say ?", v["sign"], []),
        ("duplicate", "long_vqa", "Please describe the scene in detail.", clean_en(s)[8][3], []),
        ("duplicate", "multiple_choice",
         f"How many {v['animal']} are sitting next to the {v['object']}?", *clean_en(s)[3][3:]),
    ]  # fmt: skip
    wrong_letter = "ABCD"[(s.i + 1) % 4]
    contradiction: list[Item] = [
        ("contradiction", "judgement", f"Is the {v['object']} {s.colour} ?", "No", []),
        ("contradiction", "multiple_choice", f"Which colour is the {v['object']}?",
         wrong_letter, o3),
        ("contradiction", "short_vqa", f"how many {v['animal']} are there?", str(n + 2), []),
        ("contradiction", "short_vqa", "Who is reading the menu ?",
         f"A woman named {v['other_person']}.", []),
        ("contradiction", "judgement", f"Is the {v['object']} {s.wrong}?", "Yes", []),
        ("contradiction", "short_vqa", "What does the sign above the door say?",
         EN["sign"][(i + 6) % 12], []),
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
        ("option_overlap", "multiple_choice", "What is the woman reading?", "A",
         ["a menu", "A menu.", "a map", "a newspaper"]),
        ("option_overlap", "multiple_choice", "How many cups are on the table?", "D",
         ["twelve", "12", "ten", "none"]),
    ]  # fmt: skip
    language: list[Item] = [
        ("language", "short_vqa", f"What colour is the {v['object']} by the door?",
         COLOURS_ZH[i % 8], []),
        ("language", "long_vqa", "What is written on the sign?",
         f"The sign above the door reads {v['sign']}, which means 欢迎光临 in Chinese.", []),
        ("language", "multiple_choice", "What is the woman holding?", "B",
         ["a cup", "一份菜单", "a phone", "a book"]),
        ("language", "short_vqa", f"{ZH['object'][i]}是什么颜色？", s.colour, []),
        ("language", "short_vqa", "What animal sits by the door?", f"{ZH['animal'][i]}。", []),
        ("language", "long_vqa", "Describe the woman.", "一位女士正在街角看菜单。", []),
    ]  # fmt: skip
    k, f = i % 6, forms[i]
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
        ("short_vqa", "咖啡馆离车站有多远？", f"大约三百{WORDS_ZH[i % 9]}十米。"),
        ("long_vqa", "关于这家咖啡馆你能说些什么？",
         f"这家咖啡馆开业于{1950 + i}年，咖啡的价格是{v['price']}。"),
    ]  # fmt: skip
    name = [
        ("short_vqa", "这条街在哪座城市？", f"在{v['other_place']}。"),
        ("short_vqa", "桌上的相机是什么牌子？", f"{v['other_brand']}。"),
        ("long_vqa", "街上有哪些人？",
         f"一位名叫{v['person']}的女士在看菜单，她的朋友{v['other_person']}在旁边等她。"),
        ("short_vqa", "这家咖啡馆的老板是谁？", f"老板是{v['other_person']}。"),
        ("short_vqa", "这条街叫什么名字？", f"{v['other_place']}路。"),
        ("long_vqa", "这家咖啡馆有什么特色？",
         f"这家咖啡馆以厨师{v['other_person']}做的甜点出名。"),
    ]  # fmt: skip
    _, a3, o3 = _mc(f"{v['object']}是什么颜色？", s.colour, [s.wrong, *s.others], s.i)
    duplicate: list[Item] = [
        ("duplicate", "judgement", f"图片中的{v['object']}是{s.colour}的吗？", "是", []),
        ("duplicate", "multiple_choice", f"图中的{v['object']}是什么颜色的？", a3, o3),
        ("duplicate", "short_vqa", f"这张图片中有几只{v['animal']}呢？", f"{s.count_word}只。", []),
        ("duplicate", "short_vqa", "这张图片中门上的招牌写着什么？", v["sign"], []),
        ("duplicate", "long_vqa", "请详细地描述这幅图片。", clean_zh(s)[8][3], []),
        ("duplicate", "multiple_choice", f"图中{v['object']}旁边有几只{v['animal']}呢？",
         *clean_zh(s)[3][3:]),
    ]  # fmt: skip
    wrong_letter = "ABCD"[(s.i + 1) % 4]
    contradiction: list[Item] = [
        ("contradiction", "judgement", f"{v['object']}是{s.colour}的吗", "否", []),
        ("contradiction", "multiple_choice", f"{v['object']}是什么颜色的？", wrong_letter, o3),
        ("contradiction", "short_vqa", f"图中有几只{v['animal']}呢？", f"{WORDS_ZH[n + 1]}只。",
         []),
        ("contradiction", "short_vqa", "谁在看菜单呢？", f"一位名叫{v['other_person']}的女士。",
         []),
        ("contradiction", "judgement", f"{v['object']}是{s.wrong}的吗？", "是", []),
        ("contradiction", "short_vqa", "门上的招牌写着什么？", ZH["sign"][(i + 6) % 12], []),
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
        ("option_overlap", "multiple_choice", "店里有多少人？", "B",
         ["十二个人", "12个人", "十个人", "二十个人"]),
        ("option_overlap", "multiple_choice", "桌上的相机是什么牌子？", "A",
         ["Leica", "LEICA", "佳能", "尼康"]),
    ]  # fmt: skip
    language: list[Item] = [
        ("language", "short_vqa", f"门边的{obj}是什么颜色？", COLOURS_EN[i % 8], []),
        ("language", "short_vqa", "图中有什么动物？", EN["animal"][i].capitalize() + ".", []),
        ("language", "long_vqa", f"请描述{v['person']}在做什么。",
         f"她站在街角，正在reading a menu，旁边是一个{s.colour}的{obj}。", []),
        ("language", "short_vqa", f"What colour is the {EN['object'][i]}?", s.colour, []),
        ("language", "multiple_choice", "桌上放着什么？", "A",
         ["a camera", "a book", "a plate", "a cup"]),
        ("language", "short_vqa", "这位女士在做什么？", "Reading a menu.", []),
    ]  # fmt: skip
    k, f = i % 6, forms[i]
    return [
        ("judgement_form", "judgement", f"桌上有一台{v['brand']}相机吗？", f, []),
        ("ungrounded_number", *number[k], []),
        ("ungrounded_name", *name[k], []),
        duplicate[k], contradiction[k], overlap[k], language[k],
    ]  # fmt: skip

"""The demo's sample images and their manifest of labels.

Real photographs come from the sample data scikit-image ships inside its wheel (read from the
installed package, never downloaded). Posters and charts are drawn here with Pillow, so their
text and data are known exactly. The labels are ours: ``labels`` list every notable object,
because the template generator reads a label missing from the list as absent — so generic
things that several photos show (sky, walls) are left out of every row rather than put in one.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from visinstruct.errors import InputError

__all__ = ["DEMO_INSTALL_HINT", "Sample", "samples", "write_samples"]

DEMO_INSTALL_HINT = (
    "the demo's sample photographs come with scikit-image; install them with "
    "`pip install 'visinstruct[demo]'` (or `pip install scikit-image`)"
)


@dataclass(frozen=True)
class Sample:
    """One demo image: its file name, domain and manifest fields (prior knowledge)."""

    name: str
    domain: str
    fields: dict[str, Any] = field(default_factory=dict)
    photo: str | None = None
    """The scikit-image sample file it is copied from; None for images drawn here."""


_PHOTOS: tuple[Sample, ...] = (
    Sample("astronaut.png", "image_description", {
        "title": "Portrait of astronaut Eileen Collins",
        "labels": ["woman", "spacesuit", "American flag", "helmet", "space shuttle model"],
        "tags": ["astronaut", "portrait", "NASA"],
        "objects": [{"name": "woman", "count": 1}, {"name": "American flag", "count": 1},
                    {"name": "helmet", "count": 1}, {"name": "space shuttle model", "count": 1},
                    {"name": "spacesuit", "colour_box": [30, 280, 270, 500]}],
        "positions": [["American flag", "left of", "woman"],
                      ["space shuttle model", "right of", "woman"],
                      ["helmet", "below", "space shuttle model"],
                      ["American flag", "left of", "space shuttle model"]],
        "zh": {"title": "宇航员艾琳·柯林斯的肖像",
               "labels": ["女子", "宇航服", "美国国旗", "头盔", "航天飞机模型"],
               "tags": ["宇航员", "肖像", "美国国家航空航天局"]},
    }, photo="astronaut.png"),
    Sample("coffee.png", "attribute_recognition", {
        "title": "A cup of coffee on a saucer",
        "labels": ["coffee cup", "saucer", "spoon", "wooden table"],
        "tags": ["espresso", "drink"],
        "objects": [{"name": "coffee cup", "count": 1}, {"name": "saucer", "count": 1},
                    {"name": "spoon", "count": 1}],
        "positions": [["spoon", "right of", "coffee cup"]],
        "zh": {"title": "碟子上的一杯咖啡", "labels": ["咖啡杯", "碟子", "勺子", "木桌"],
               "tags": ["浓缩咖啡", "饮品"]},
    }, photo="coffee.png"),
    Sample("chelsea.png", "species_recognition", {
        "title": "Chelsea the cat",
        "labels": ["cat", "eyes"],
        "tags": ["tabby", "close-up", "pet"],
        "objects": [{"name": "cat", "count": 1}, {"name": "eyes", "count": 2}],
        "zh": {"title": "名叫切尔西的猫", "labels": ["猫", "眼睛"],
               "tags": ["虎斑猫", "特写", "宠物"]},
    }, photo="chelsea.png"),
    Sample("rocket.jpg", "image_scene", {
        "title": "A rocket standing on its launch pad",
        "labels": ["rocket", "launch tower"],
        "tags": ["spaceflight", "launch site"],
        "objects": [{"name": "rocket", "count": 1}],
        "zh": {"title": "矗立在发射台上的火箭", "labels": ["火箭", "发射塔"],
               "tags": ["航天", "发射场"]},
    }, photo="rocket.jpg"),
    Sample("camera.png", "image_style", {
        "title": "A photographer with a camera on a tripod",
        "labels": ["man", "camera", "tripod", "coat", "tripod legs"],
        "tags": ["photographer", "classic test image"],
        "objects": [{"name": "man", "count": 1}, {"name": "camera", "count": 1},
                    {"name": "tripod", "count": 1}, {"name": "tripod legs", "count": 3},
                    {"name": "coat", "colour_box": [20, 250, 200, 500]}],
        "positions": [["tripod", "right of", "man"], ["camera", "above", "tripod"]],
        "zh": {"title": "用三脚架上的相机拍照的摄影师",
               "labels": ["男子", "相机", "三脚架", "外套", "三脚架的腿"],
               "tags": ["摄影师", "经典测试图像"]},
    }, photo="camera.png"),
    Sample("motorcycle.png", "object_localization", {
        "title": "A red motorcycle parked in a garage",
        "labels": ["motorcycle", "shelf", "cardboard box", "bench", "bicycle", "wheels"],
        "tags": ["garage", "vehicle"],
        "objects": [{"name": "motorcycle", "count": 1, "colour_box": [520, 190, 620, 250]},
                    {"name": "wheels", "count": 2}],
        "positions": [["bicycle", "left of", "motorcycle"], ["bench", "left of", "shelf"],
                      ["bicycle", "left of", "bench"]],
        "zh": {"title": "停在车库里的红色摩托车",
               "labels": ["摩托车", "架子", "纸箱", "长凳", "自行车", "车轮"],
               "tags": ["车库", "交通工具"]},
    }, photo="motorcycle_left.png"),
    Sample("coins.png", "numerical_calculation", {
        "title": "Ancient Greek coins",
        "labels": ["coins"],
        "tags": ["numismatics", "museum collection"],
        "objects": [{"name": "coins", "count": 24}],
        "zh": {"title": "古希腊钱币", "labels": ["硬币"], "tags": ["钱币学", "博物馆藏品"]},
    }, photo="coins.png"),
    Sample("hubble_deep_field.jpg", "image_scene", {
        "title": "The Hubble Deep Field",
        "labels": ["galaxy"],
        "tags": ["astronomy", "deep space", "Hubble Space Telescope"],
        "zh": {"title": "哈勃深空场", "labels": ["星系"],
               "tags": ["天文学", "深空", "哈勃空间望远镜"]},
    }, photo="hubble_deep_field.jpg"),
    Sample("page.png", "ocr", {
        "title": "A page from an image processing tutorial",
        "text": ["Region-based segmentation",
                 "Let us first determine markers of the coins and the",
                 "background. These markers are pixels that we can label",
                 "unambiguously as either object or background. Here,",
                 "the markers are found at the two extreme parts of the",
                 "histogram of grey values:",
                 ">>> markers = np.zeros_like(coins)"],
        "fields": {"heading": "Region-based segmentation"},
        "zh": {"title": "图像处理教程中的一页"},
    }, photo="page.png"),
)  # fmt: skip

# (file, background, accent, lines, fields, Chinese fields): the lines are drawn top to bottom;
# the fields say which line is the event, the date, the place and the price.
_POSTERS: tuple[tuple[str, Any, Any, tuple[str, ...], dict[str, str]], ...] = (
    ("poster_jazz.png", (20, 40, 110), (255, 215, 0),
     ("SUMMER JAZZ NIGHT", "Friday 14 June, 8 pm", "Riverside Park Stage", "Free entry"),
     {"event": "夏日爵士之夜", "date": "6月14日星期五晚上8点", "venue": "河畔公园舞台",
      "price": "免费入场"}),
    ("poster_books.png", (240, 240, 230), (170, 20, 30),
     ("CITY BOOK FAIR", "Saturday 21 September", "Central Library Hall", "Tickets 5 euros"),
     {"event": "城市书展", "date": "9月21日星期六", "venue": "中央图书馆大厅",
      "price": "门票5欧元"}),
)  # fmt: skip
_POSTER_FIELDS = ("event", "date", "venue", "price")
_ACCENT_BOX = [230, 290, 370, 430]  # inside the poster's circle

_CHARTS: tuple[dict[str, Any], ...] = (
    {"name": "chart_rainfall.png", "type": "bar", "title": "Monthly rainfall",
     "x": ["Jan", "Feb", "Mar", "Apr", "May"], "y": [48, 62, 35, 80, 55], "unit": "mm",
     "zh": {"title": "月降雨量", "x": ["1月", "2月", "3月", "4月", "5月"], "unit": "毫米"}},
    {"name": "chart_visitors.png", "type": "line", "title": "Museum visitors per day",
     "x": ["Mon", "Tue", "Wed", "Thu", "Fri"], "y": [120, 150, 90, 210, 170],
     "unit": "visitors",
     "zh": {"title": "博物馆每日参观人数", "x": ["周一", "周二", "周三", "周四", "周五"],
            "unit": "人次"}},
    {"name": "chart_energy.png", "type": "pie", "title": "Household energy use",
     "x": ["Heating", "Hot water", "Lighting", "Appliances"], "y": [45, 20, 10, 25], "unit": "%",
     "zh": {"title": "家庭能源消耗", "x": ["供暖", "热水", "照明", "电器"], "unit": "%"}},
)  # fmt: skip
# What each chart draws its values with, and a region inside one of them (for its colour).
_CHART_MARKS: dict[str, tuple[str, list[int] | None]] = {
    "bar": ("bars", [540, 200, 600, 470]),
    "line": ("data points", None),
    "pie": ("pie slices", None),
}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill: Any) -> None:
    font = _font(size)
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    draw.text(((draw.im.size[0] - (right - left)) // 2, y), text, font=font, fill=fill)


def _save(image: Image.Image, path: Path) -> None:
    """Write ``image`` as PNG unless ``path`` already holds exactly these bytes.

    Rewriting an identical file would change its mtime and make a rerun collect it again.
    """
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    _write_bytes(path, buffer.getvalue())


def _write_bytes(path: Path, data: bytes) -> None:
    if not (path.is_file() and path.read_bytes() == data):
        path.write_bytes(data)


def draw_poster(path: Path, background: Any, accent: Any, lines: Sequence[str]) -> None:
    """A portrait poster: headline in the accent colour, details below it."""
    image = Image.new("RGB", (600, 840), background)
    draw = ImageDraw.Draw(image)
    ink = (250, 250, 250) if sum(background) < 300 else (30, 30, 30)
    draw.rectangle((40, 40, 560, 800), outline=accent, width=8)
    _centred(draw, 150, lines[0], 42, accent)
    draw.ellipse((220, 280, 380, 440), fill=accent)
    for i, line in enumerate(lines[1:]):
        _centred(draw, 520 + i * 80, line, 34, ink)
    _save(image, path)


_SLICES = ((40, 110, 200), (220, 80, 30), (60, 160, 80), (200, 160, 40), (140, 70, 160))


def draw_pie(path: Path, spec: dict[str, Any]) -> None:
    """A pie chart with its title and a legend giving each category's value."""
    image = Image.new("RGB", (800, 560), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    _centred(draw, 30, spec["title"], 34, (20, 20, 20))
    total, start = float(sum(spec["y"])), -90.0
    for i, (name, value) in enumerate(zip(spec["x"], spec["y"], strict=True)):
        end = start + 360 * value / total
        draw.pieslice((60, 110, 440, 490), start, end, fill=_SLICES[i], outline=(255, 255, 255))
        start = end
        draw.rectangle((490, 150 + i * 70, 520, 180 + i * 70), fill=_SLICES[i])
        label = f"{name}: {value}{spec['unit']}"
        draw.text((535, 150 + i * 70), label, font=_font(26), fill=(20, 20, 20))
    _save(image, path)


def draw_chart(path: Path, spec: dict[str, Any]) -> None:
    """A bar or line chart with its title, categories and each value written on it."""
    if spec["type"] == "pie":
        draw_pie(path, spec)
        return
    width, height, left, bottom, top = 800, 560, 90, 480, 110
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    _centred(draw, 30, spec["title"], 34, (20, 20, 20))
    draw.line((left, top - 20, left, bottom), fill=(60, 60, 60), width=3)
    draw.line((left, bottom, width - 40, bottom), fill=(60, 60, 60), width=3)
    draw.text((10, top - 60), spec["unit"], font=_font(22), fill=(60, 60, 60))
    peak = max(spec["y"])
    step = (width - left - 80) // len(spec["x"])
    points = []
    for i, (name, value) in enumerate(zip(spec["x"], spec["y"], strict=True)):
        cx = left + 40 + i * step + step // 2
        cy = bottom - int((bottom - top) * value / peak)
        points.append((cx, cy))
        if spec["type"] == "bar":
            draw.rectangle((cx - step // 3, cy, cx + step // 3, bottom), fill=(40, 110, 200))
        draw.text((cx - 18, cy - 34), str(value), font=_font(24), fill=(20, 20, 20))
        draw.text((cx - 22, bottom + 14), name, font=_font(24), fill=(20, 20, 20))
    if spec["type"] == "line":
        draw.line(points, fill=(220, 80, 30), width=5)
        for x, y in points:
            draw.ellipse((x - 8, y - 8, x + 8, y + 8), fill=(220, 80, 30))
    _save(image, path)


def _photo_dir() -> Path:
    try:
        root = resources.files("skimage") / "data"
    except ModuleNotFoundError as exc:
        raise InputError(DEMO_INSTALL_HINT) from exc
    return Path(str(root))


def samples() -> list[Sample]:
    """Every demo image: the photographs, then the posters and the charts."""
    found = list(_PHOTOS)
    for name, _bg, _accent, lines, zh in _POSTERS:
        fields = {"title": lines[0].title(), "text": list(lines),
                  "labels": ["circle"], "fields": dict(zip(_POSTER_FIELDS, lines, strict=True)),
                  "objects": [{"name": "circle", "count": 1, "colour_box": _ACCENT_BOX}],
                  "zh": {"fields": zh, "title": zh["event"]}}  # fmt: skip
        found.append(Sample(name, "posters", fields))
    for spec in _CHARTS:
        chart = {k: spec[k] for k in ("type", "title", "x", "y", "unit")}
        mark, box = _CHART_MARKS[spec["type"]]
        obj: dict[str, Any] = {"name": mark, "count": len(spec["x"])}
        if box is not None:
            obj["colour_box"] = box
        fields = {"chart": chart, "objects": [obj], "zh": {"chart": spec["zh"]}}
        found.append(Sample(spec["name"], "structuralized_image_text_understanding", fields))
    return found


def write_samples(folder: Path) -> Path:
    """Write every sample image and ``manifest.jsonl`` into ``folder``; return the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    photos = _photo_dir()
    for sample in _PHOTOS:
        source = photos / str(sample.photo)
        if not source.is_file():
            raise InputError(
                f"{source}: sample photo missing from scikit-image; {DEMO_INSTALL_HINT}"
            )
        _write_bytes(folder / sample.name, source.read_bytes())
    for name, background, accent, lines, _zh in _POSTERS:
        draw_poster(folder / name, background, accent, lines)
    for spec in _CHARTS:
        draw_chart(folder / spec["name"], spec)
    manifest = folder / "manifest.jsonl"
    rows = [{"path": s.name, "domain": s.domain, **s.fields} for s in samples()]
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    _write_bytes(manifest, text.encode("utf-8"))
    return manifest

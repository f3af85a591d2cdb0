"""Caption prompts, versioned. A new wording is a new version, so old captions stay traceable.

``v1`` is one plain instruction per language plus a per-domain focus hint. ``v2`` keeps that
and, per image, adds what the project already knows about the picture: the text an OCR engine
read in it, and prior knowledge that came with it (tags, a title, a search keyword). The
variant is chosen from the image alone, so the same image under the same settings always gets
the same prompt: ``plain``, ``ocr``, ``prior`` or ``ocr+prior``.

Both additions are framed as hints to check against the picture, not facts: OCR misreads and
web tags are often wrong, and a caption that repeats them unchecked would carry their errors
into every instruction made from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from visinstruct.errors import ConfigError
from visinstruct.records import ImageRecord, Language, OcrLine

__all__ = [
    "PROMPT_VERSIONS",
    "CaptionPrompt",
    "PromptVariant",
    "build_caption_prompt",
    "caption_prompt",
    "format_ocr",
    "format_prior",
]

PromptVariant = Literal["plain", "ocr", "prior", "ocr+prior"]
PROMPT_VERSIONS = ("v1", "v2")

_V1 = {
    "en": (
        "You are describing a picture for someone who cannot see it and who will later write "
        "questions about it. Describe the image in detail and only from what is visible: the "
        "main subjects and what they are doing, their colours, materials, sizes and positions "
        "relative to each other, the setting and background, the lighting and the overall style. "
        "Read out any text that appears, word for word. Count things when the count is clear. "
        "Do not guess what cannot be seen, and say so when something is unclear. "
        "Write plain paragraphs, no lists, no headings."
    ),
    "zh": (
        "请为一位看不到这张图片、之后要根据描述出题的人详细描述这张图片，只写图中能看到的内容："
        "主要对象及其动作，它们的颜色、材质、大小和相对位置，场景与背景，光线和整体风格。"
        "图中出现的文字请逐字写出。数量清楚时请给出数量。看不清或无法确定的内容不要猜测，"
        "并直接说明。请用连贯的段落书写，不要列表，不要标题。"
    ),
}

_V2_LANGUAGE = {
    "en": "Write the description in English.",
    "zh": "请用简体中文书写描述（图中的外文可以照原文引用）。",
}

_OCR_INTRO = {
    "en": (
        "The image contains this text, as read by an OCR engine (one line per text line; the "
        "reading may have errors). Use it to transcribe the text correctly, say where each "
        "piece of text is, and leave out anything you cannot see in the image:"
    ),
    "zh": (
        "图中包含以下文字（由文字识别引擎读出，每行对应图中一行文字，可能有误）。"
        "请据此准确转写图中文字并说明其位置，图中看不到的内容不要写："
    ),
}

_PRIOR_INTRO = {
    "en": (
        "Background information that came with the image (it may be incomplete or wrong; use "
        "it only where the picture agrees, for example to name a landmark, a species or a "
        "brand you can see):"
    ),
    "zh": (
        "以下是随图片附带的背景信息（可能不完整或有误；仅在与画面相符时使用，"
        "例如用于说出图中可见的地标、物种或品牌名称）："
    ),
}

_PRIOR_LABELS = {
    "en": {
        "title": "title",
        "tags": "tags",
        "bing_tag": "tags",
        "keyword": "keyword",
        "keywords": "keywords",
        "text": "accompanying text",
        "description": "description",
        "category": "category",
        "source_url": "source",
    },
    "zh": {
        "title": "标题",
        "tags": "标签",
        "bing_tag": "标签",
        "keyword": "关键词",
        "keywords": "关键词",
        "text": "附带文字",
        "description": "说明",
        "category": "类别",
        "source_url": "来源",
    },
}
_PRIOR_ORDER = ("title", "keyword", "keywords", "category", "tags", "bing_tag", "description")
_PRIOR_VALUE_CHARS = 400

_DOMAIN_FOCUS_V1 = {
    "en": {
        "ocr": "Pay special attention to every piece of text: transcribe it and say where it is.",
        "posters": "Read all text on the poster and describe its layout, colours and hierarchy.",
        "species_recognition": "Describe the features that tell this species apart.",
        "image_quality": "Also describe sharpness, noise, exposure and any visible artefacts.",
        "meme_comprehension": (
            "Transcribe the caption text and describe how it relates to the picture."
        ),
        "structuralized_image_text_understanding": (
            "Read the chart or table: axes, labels, legend, and the values shown."
        ),
    },
    "zh": {
        "ocr": "请特别注意图中的每一处文字：逐字转写并说明其位置。",
        "posters": "请读出海报上的所有文字，并描述其版式、配色和信息层次。",
        "species_recognition": "请描述能区分该物种的外形特征。",
        "image_quality": "另请描述清晰度、噪点、曝光以及可见的压缩或处理痕迹。",
        "meme_comprehension": "请转写配文，并说明配文与画面之间的关系。",
        "structuralized_image_text_understanding": "请读出图表或表格的坐标轴、标签、图例和数值。",
    },
}

# v2 adds hints for more of the paper's domains; v1's stay as they were.
_DOMAIN_FOCUS_V2_EXTRA = {
    "en": {
        "landmark": (
            "Describe the architecture, materials and surroundings that identify the place."
        ),
        "artwork": "Describe the medium, technique, composition, palette and subject matter.",
        "brand_recognition": "Describe logos, product shapes, packaging and brand text exactly.",
        "image_emotion": "Describe facial expressions, body language and the overall mood.",
        "image_style": "Describe the visual style: photo or illustration, palette, rendering.",
        "social_relation": "Describe how the people interact: gestures, distance, attention.",
        "object_localization": "Give clear positions for each object (left, centre, top ...).",
        "spatial_relationship": "Describe where each object is relative to the others.",
        "numerical_calculation": "Give every number, price and quantity shown, exactly.",
        "image_comparison": "Describe each part separately before what differs between them.",
        "future_prediction": "Describe motion, direction and what each subject is about to do.",
    },
    "zh": {
        "landmark": "请描述能辨认出该地点的建筑风格、材质和周边环境。",
        "artwork": "请描述作品的媒介、技法、构图、色调和题材。",
        "brand_recognition": "请准确描述标志、产品外形、包装和品牌文字。",
        "image_emotion": "请描述人物的表情、肢体语言和整体氛围。",
        "image_style": "请描述画面风格：照片还是插画、色调、表现手法。",
        "social_relation": "请描述人物之间的互动：手势、距离和注意力方向。",
        "object_localization": "请说明每个物体的明确位置（左侧、中间、上方等）。",
        "spatial_relationship": "请说明各物体之间的相对位置关系。",
        "numerical_calculation": "请准确写出图中出现的每个数字、价格和数量。",
        "image_comparison": "请先分别描述各部分，再说明它们之间的差异。",
        "future_prediction": "请描述主体的运动、方向以及接下来可能的动作。",
    },
}


@dataclass(frozen=True)
class CaptionPrompt:
    """The instruction sent with one image, and which variant it is."""

    text: str
    variant: PromptVariant


def _check_version(version: str) -> None:
    if version not in PROMPT_VERSIONS:
        raise ConfigError(
            f"unknown caption prompt version {version!r}; known: {', '.join(PROMPT_VERSIONS)}",
            field="caption.prompt_version",
        )


def _focus(version: str, language: Language, domain: str) -> str | None:
    focus = _DOMAIN_FOCUS_V1[language].get(domain)
    if focus is None and version != "v1":
        focus = _DOMAIN_FOCUS_V2_EXTRA[language].get(domain)
    return focus


def caption_prompt(version: str, language: Language, domain: str) -> str:
    """The plain captioning instruction for an image of ``domain`` (no per-image context)."""
    _check_version(version)
    parts = [_V1[language]]
    if version != "v1":
        parts.append(_V2_LANGUAGE[language])
    focus = _focus(version, language, domain)
    if focus:
        parts.append(focus)
    return "\n".join(parts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_ocr(lines: Sequence[OcrLine], max_chars: int) -> str:
    """OCR lines as prompt text, top to bottom, at most ``max_chars`` characters."""
    ordered = sorted(lines, key=lambda ln: (ln.box[1], ln.box[0]) if ln.box else (0, 0))
    texts = [" ".join(ln.text.split()) for ln in ordered]
    return _clip("\n".join(t for t in texts if t), max_chars)


def _value_text(value: Any) -> str:
    """A prior-knowledge value as one line; nested structures are not prompt material."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        items = [_value_text(v) for v in value if not isinstance(v, dict | list | tuple)]
        return ", ".join(i for i in items if i)
    return ""


def format_prior(prior: Mapping[str, Any], language: Language, max_chars: int) -> str:
    """Prior knowledge as ``label: value`` lines, known keys first, at most ``max_chars``."""
    labels = _PRIOR_LABELS[language]
    keys = [k for k in _PRIOR_ORDER if k in prior]
    keys += sorted(k for k in prior if k not in _PRIOR_ORDER)
    lines = []
    for key in keys:
        value = _clip(_value_text(prior[key]), _PRIOR_VALUE_CHARS)
        if value:
            lines.append(f"{labels.get(key, key.replace('_', ' '))}: {value}")
    return _clip("\n".join(lines), max_chars)


def build_caption_prompt(
    version: str,
    language: Language,
    image: ImageRecord,
    *,
    use_ocr: bool = True,
    use_prior: bool = True,
    max_context_chars: int = 1500,
) -> CaptionPrompt:
    """The prompt for ``image``: the plain instruction, plus its OCR text and prior knowledge
    when it has them and they are enabled (``v1`` never adds either)."""
    base = caption_prompt(version, language, image.domain)
    if version == "v1":
        return CaptionPrompt(base, "plain")
    ocr = format_ocr(image.ocr, max_context_chars) if use_ocr else ""
    prior = format_prior(image.prior, language, max_context_chars) if use_prior else ""
    parts = [base]
    if ocr:
        parts.append(f"{_OCR_INTRO[language]}\n{ocr}")
    if prior:
        parts.append(f"{_PRIOR_INTRO[language]}\n{prior}")
    variant: PromptVariant
    if ocr and prior:
        variant = "ocr+prior"
    elif ocr:
        variant = "ocr"
    elif prior:
        variant = "prior"
    else:
        variant = "plain"
    return CaptionPrompt("\n\n".join(parts), variant)

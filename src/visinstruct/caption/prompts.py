"""Caption prompts, versioned. A new wording is a new version, so old captions stay traceable."""

from __future__ import annotations

from visinstruct.errors import ConfigError
from visinstruct.records import Language

__all__ = ["PROMPT_VERSIONS", "caption_prompt"]

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

_DOMAIN_FOCUS = {
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

PROMPT_VERSIONS = ("v1",)


def caption_prompt(version: str, language: Language, domain: str) -> str:
    """The captioning instruction for an image of ``domain``."""
    if version not in PROMPT_VERSIONS:
        raise ConfigError(
            f"unknown caption prompt version {version!r}; known: {', '.join(PROMPT_VERSIONS)}",
            field="caption.prompt_version",
        )
    focus = _DOMAIN_FOCUS[language].get(domain)
    return _V1[language] + (f"\n{focus}" if focus else "")

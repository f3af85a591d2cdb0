"""Caption prompts: versions, and the variant each image gets from what is known about it."""

from __future__ import annotations

import pytest

from visinstruct.caption import PROMPT_VERSIONS, build_caption_prompt, caption_prompt
from visinstruct.caption.prompts import format_ocr, format_prior
from visinstruct.errors import ConfigError
from visinstruct.records import ImageRecord, Language, OcrLine

V1_EN_START = "You are describing a picture for someone who cannot see it"


def _image(domain: str = "landmark", **kw: object) -> ImageRecord:
    data: dict[str, object] = {
        "id": "a" * 64, "path": "/x.jpg", "domain": domain, "width": 10, "height": 10,
        "format": "JPEG", "bytes": 1, "phash": "0" * 16, **kw,
    }  # fmt: skip
    return ImageRecord.model_validate(data)


OCR = [OcrLine(text="EXIT 出口", box=(0, 50, 9, 60)), OcrLine(text="SALE", box=(0, 5, 9, 9))]
PRIOR = {"title": "Tower Bridge at night", "tags": ["bridge", "london"], "nested": {"x": 1}}


@pytest.mark.parametrize(
    ("ocr", "prior", "variant"),
    [([], {}, "plain"), (OCR, {}, "ocr"), ([], PRIOR, "prior"), (OCR, PRIOR, "ocr+prior")],
)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_variant_follows_what_the_image_has(
    ocr: list[OcrLine], prior: dict[str, object], variant: str, language: Language
) -> None:
    prompt = build_caption_prompt("v2", language, _image(ocr=ocr, prior=prior))
    assert prompt.variant == variant
    has_ocr = "EXIT 出口" in prompt.text
    has_prior = "Tower Bridge at night" in prompt.text
    assert has_ocr == ("ocr" in variant)
    assert has_prior == ("prior" in variant)
    intro = "The image contains this text" if language == "en" else "图中包含以下文字"
    assert (intro in prompt.text) == has_ocr
    if language == "zh":
        assert "简体中文" in prompt.text
        assert ("标题: Tower Bridge at night" in prompt.text) == has_prior
    else:
        assert prompt.text.startswith(V1_EN_START)


def test_disabled_context_gives_the_plain_variant() -> None:
    image = _image(ocr=OCR, prior=PRIOR)
    prompt = build_caption_prompt("v2", "en", image, use_ocr=False, use_prior=False)
    assert prompt.variant == "plain"
    assert "EXIT" not in prompt.text
    assert "Tower" not in prompt.text


def test_v1_stays_loadable_and_unchanged() -> None:
    assert PROMPT_VERSIONS == ("v1", "v2")
    v1 = caption_prompt("v1", "en", "posters")
    assert v1.startswith(V1_EN_START)
    assert v1.endswith(
        "\nRead all text on the poster and describe its layout, colours and hierarchy."
    )
    prompt = build_caption_prompt("v1", "en", _image("posters", ocr=OCR, prior=PRIOR))
    assert (prompt.text, prompt.variant) == (v1, "plain")
    # v2 hints for domains v1 had none for; v1 keeps them out.
    assert "architecture" in caption_prompt("v2", "en", "landmark")
    assert "architecture" not in caption_prompt("v1", "en", "landmark")
    with pytest.raises(ConfigError, match=r"caption\.prompt_version"):
        caption_prompt("v9", "en", "landmark")


def test_ocr_text_is_ordered_top_down_and_clipped() -> None:
    assert format_ocr(OCR, 1000) == "SALE\nEXIT 出口"
    long = [OcrLine(text="word " * 100, box=(0, i, 1, i + 1)) for i in range(10)]
    assert len(format_ocr(long, 300)) == 300


def test_prior_lists_known_keys_first_and_drops_nested_values() -> None:
    text = format_prior({"zzz": 3, "tags": ["a", "b"], "title": "T", "nested": {"x": 1}}, "en", 500)
    assert text == "title: T\ntags: a, b\nzzz: 3"
    assert format_prior({"bing_tag": "cat"}, "zh", 500) == "标签: cat"
    assert format_prior({"tags": [], "title": "  "}, "en", 500) == ""

"""Images as chat-completions expect them, and what they cost in tokens.

Images travel as JPEG data URLs, shrunk so the longest side fits the configured size: a 12 MP
photo is ~10 MB of base64 otherwise, and the model sees a downscaled copy anyway. Image tokens
are counted before sending so the tokens-per-minute limiter can include them.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from visinstruct.errors import InputError

__all__ = ["encode_image", "image_tokens"]

_JPEG_QUALITY = 90
# OpenAI's published accounting for high-detail images.
_FIT_SIDE = 2048
_SHORT_SIDE = 768
_TILE = 512
_TOKENS_PER_TILE = 170
_BASE_TOKENS = 85


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB without surprises: transparent pixels become white rather than black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit: scale to 8 bits; a plain convert clips, turning nearly every pixel white.
        top = image.getextrema()[1]
        scale = 255.0 / float(top) if isinstance(top, int | float) and top > 255 else 1.0
        return image.convert("I").point(lambda v: v * scale).convert("L").convert("RGB")
    return image.convert("RGB")


def encode_image(path: str | Path, max_side: int) -> tuple[str, int, int]:
    """Read ``path`` and return ``(data_url, width, height)`` of the JPEG that will be sent.

    The image is turned upright by its EXIF orientation (phones store photos sideways), made
    RGB and shrunk (never enlarged) so its longest side is at most ``max_side``. The returned
    size is the sent size, which is what image tokens are counted from.
    """
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            image = _to_rgb(image)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such image file") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read this image ({exc})") from exc
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=_JPEG_QUALITY)
    payload = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{payload}", image.width, image.height


def image_tokens(width: int, height: int, detail: str) -> int:
    """Tokens an image of ``width`` × ``height`` costs, by OpenAI's published rule.

    ``low`` is a flat 85. ``high`` and ``auto`` (counted as high, so the estimate errs on the
    safe side of a rate limit): fit in 2048×2048, shrink so the shortest side is 768, then
    170 per 512-px tile plus 85.
    """
    if detail == "low":
        return _BASE_TOKENS
    w, h = float(max(width, 1)), float(max(height, 1))
    if max(w, h) > _FIT_SIDE:
        scale = _FIT_SIDE / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > _SHORT_SIDE:
        scale = _SHORT_SIDE / min(w, h)
        w, h = w * scale, h * scale
    tiles = math.ceil(round(w, 6) / _TILE) * math.ceil(round(h, 6) / _TILE)
    return _TOKENS_PER_TILE * tiles + _BASE_TOKENS

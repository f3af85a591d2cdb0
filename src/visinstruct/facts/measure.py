"""Properties of an image measured from its pixels with Pillow: the facts no annotator wrote.

Every measurement turns into a fact only when it is clear-cut. An image whose mean brightness
sits in the middle is neither "bright" nor "dark", and a question about it would have no sure
answer, so no brightness fact is made for it. The thresholds below leave wide margins for that
reason: a wrong "Yes" in training data costs more than a question never asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps, ImageStat, UnidentifiedImageError

from visinstruct.errors import InputError

__all__ = [
    "COLOUR_NAMES",
    "ImageProperties",
    "colour_name",
    "measure_image",
    "measure_region",
    "orientation_of",
    "subject_colour",
]

COLOUR_NAMES: tuple[str, ...] = (
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white",
    "gray",
)  # fmt: skip

# Mean luminance (0-255) below DARK / above BRIGHT; between them no brightness fact is made.
DARK_BELOW = 70.0
BRIGHT_ABOVE = 170.0
# Variance of the Laplacian of the grey image scaled to 512 px. Sharp photographs measure
# 400-2500, the same photographs blurred with a 3 px Gaussian 15-110.
SHARP_ABOVE = 300.0
BLURRY_BELOW = 60.0
# A colour is "main" at this share of the pixels or more, and "absent" below ABSENT_BELOW.
MAIN_SHARE = 0.20
ABSENT_BELOW = 0.02
# Saturated pixels (HSV saturation above 40 of 255): below this share the image is black and
# white, above COLOURFUL_ABOVE it is a colour image; in between no palette fact is made.
GREY_BELOW = 0.01
COLOURFUL_ABOVE = 0.10

_LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)
_SAMPLE_SIDE = 64


@dataclass(frozen=True)
class ImageProperties:
    """Measurements of one image. ``None`` means "not clear-cut enough to state"."""

    width: int
    height: int
    orientation: str | None
    brightness: str | None
    mean_luminance: float
    sharpness: str | None
    laplacian_variance: float
    palette: str | None
    colour_shares: dict[str, float] = field(default_factory=dict)

    @property
    def main_colours(self) -> list[str]:
        """Colours covering at least :data:`MAIN_SHARE` of the image, largest first."""
        ranked = sorted(self.colour_shares.items(), key=lambda kv: (-kv[1], kv[0]))
        return [name for name, share in ranked if share >= MAIN_SHARE]

    @property
    def absent_colours(self) -> list[str]:
        """Colours covering less than :data:`ABSENT_BELOW` of the image."""
        return [c for c in COLOUR_NAMES if self.colour_shares.get(c, 0.0) < ABSENT_BELOW]

    @property
    def dominant_colour(self) -> str | None:
        """The colour that clearly covers the most pixels (a lead of 10 points), if any."""
        ranked = [*sorted(self.colour_shares.values(), reverse=True), 0.0, 0.0]
        if ranked[0] < MAIN_SHARE or ranked[0] - ranked[1] < 0.10:
            return None
        return self.main_colours[0]


def orientation_of(width: int, height: int) -> str | None:
    """``landscape``, ``portrait`` or ``square``; ``None`` for nearly-but-not-quite square."""
    if abs(width - height) <= 0.02 * max(width, height):
        return "square"
    ratio = width / height
    if ratio >= 1.1:
        return "landscape"
    if ratio <= 1 / 1.1:
        return "portrait"
    return None


def colour_name(h: int, s: int, v: int) -> str:
    """A basic colour name for one pixel in Pillow's HSV (all channels 0-255)."""
    if v < 50:
        return "black"
    if s < 40:
        return "white" if v > 200 else "gray"
    degrees = h * 360 / 256
    # Red ends at 10 degrees: the astronaut's suit (RGB 214, 99, 63; hue 10-15) is orange.
    if degrees < 10 or degrees >= 345:
        name = "red"
    elif degrees < 40:
        name = "orange"
    elif degrees < 70:
        name = "yellow"
    elif degrees < 160:
        name = "green"
    elif degrees < 255:
        name = "blue"
    elif degrees < 290:
        name = "purple"
    else:
        name = "pink"
    if name in ("red", "orange") and v < 150:
        return "brown"
    return name


def _colour_shares(image: Image.Image) -> tuple[dict[str, float], float]:
    """(share of each named colour, share of saturated pixels) on a small sample."""
    sample = image.resize((_SAMPLE_SIDE, _SAMPLE_SIDE), Image.Resampling.BOX).convert("HSV")
    return _shares_of(sample)


def _shares_of(sample: Image.Image) -> tuple[dict[str, float], float]:
    data = sample.tobytes()
    counts: dict[str, int] = {}
    saturated = 0
    total = len(data) // 3
    for i in range(0, len(data), 3):
        h, s, v = data[i], data[i + 1], data[i + 2]
        name = colour_name(h, s, v)
        counts[name] = counts.get(name, 0) + 1
        saturated += s > 40 and v >= 50
    shares = {name: round(n / total, 4) for name, n in sorted(counts.items())}
    return shares, saturated / total


def _pick(value: float, low: float, high: float, names: tuple[str, str]) -> str | None:
    if value < low:
        return names[0]
    if value > high:
        return names[1]
    return None


def measure_image(path: Path) -> ImageProperties:
    """Measure ``path``; raise :class:`InputError` naming the file when it cannot be read."""
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputError(
            f"{path}: cannot measure the image ({exc}); check that the file still exists"
        ) from exc
    width, height = image.size
    grey = image.convert("L")
    mean = ImageStat.Stat(grey).mean[0]
    small = grey.copy()
    small.thumbnail((512, 512))
    variance = ImageStat.Stat(small.filter(_LAPLACIAN)).var[0]
    shares, saturated = _colour_shares(image)
    palette = _pick(saturated, GREY_BELOW, COLOURFUL_ABOVE, ("black and white", "colour"))
    if palette == "black and white":
        shares = {k: v for k, v in shares.items() if k in ("black", "white", "gray")}
    return ImageProperties(
        width=width,
        height=height,
        orientation=orientation_of(width, height),
        brightness=_pick(mean, DARK_BELOW, BRIGHT_ABOVE, ("dark", "bright")),
        mean_luminance=round(mean, 2),
        sharpness=_pick(variance, BLURRY_BELOW, SHARP_ABOVE, ("blurry", "sharp")),
        laplacian_variance=round(variance, 2),
        palette=palette,
        colour_shares=shares,
    )


# An object's colour is named only when one colour covers SUBJECT_MAIN of its box and leads the
# next by SUBJECT_LEAD; a colour under SUBJECT_ABSENT of the box is "not the object's colour".
SUBJECT_MAIN = 0.45
SUBJECT_LEAD = 0.20
SUBJECT_ABSENT = 0.03


def measure_region(path: Path, box: tuple[int, int, int, int]) -> dict[str, float]:
    """Share of each named colour inside ``box`` (left, top, right, bottom) of the image."""
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputError(f"{path}: cannot measure the image ({exc})") from exc
    left, top, right, bottom = box
    width, height = image.size
    if not (0 <= left < right <= width and 0 <= top < bottom <= height):
        raise InputError(f"{path}: box {list(box)} lies outside the {width}x{height} image")
    crop = image.crop(box).resize((_SAMPLE_SIDE, _SAMPLE_SIDE), Image.Resampling.BOX)
    return _shares_of(crop.convert("HSV"))[0]


def subject_colour(shares: dict[str, float]) -> tuple[str | None, list[str]]:
    """(the object's colour if clear-cut, the colours it clearly is not) from its box's shares."""
    ranked = [*sorted(shares.items(), key=lambda kv: (-kv[1], kv[0])), ("", 0.0), ("", 0.0)]
    (top, first), (_, second) = ranked[0], ranked[1]
    main = top if first >= SUBJECT_MAIN and first - second >= SUBJECT_LEAD else None
    absent = [c for c in COLOUR_NAMES if shares.get(c, 0.0) < SUBJECT_ABSENT]
    return main, absent

"""Step (b): detailed captions, the ceiling on the quality of everything made from them.

OCR reads the text in each image first (``ocr``); the captioner gets a versioned prompt that
carries that text and the image's prior knowledge (``prompts``); every reply passes the
quality gate (``gate``) before it is stored; captions made elsewhere can be imported
(``importer``); and the stage's cost can be estimated before any call (``estimate``).
"""

from __future__ import annotations

from visinstruct.caption.estimate import StageEstimate, estimate_caption, pending_caption_images
from visinstruct.caption.gate import GateFailure, check_caption, detect_language
from visinstruct.caption.importer import (
    IMPORT_FORMATS,
    CaptionImportReport,
    ImportFormat,
    import_captions,
)
from visinstruct.caption.ocr import (
    OCR_INSTALL_HINT,
    OcrReport,
    RapidOcrReader,
    TextReader,
    ocr_installed,
    open_reader,
    run_ocr,
)
from visinstruct.caption.prompts import (
    PROMPT_VERSIONS,
    CaptionPrompt,
    build_caption_prompt,
    caption_prompt,
)
from visinstruct.caption.stage import CaptionStage, retry_temperature

__all__ = [
    "IMPORT_FORMATS",
    "OCR_INSTALL_HINT",
    "PROMPT_VERSIONS",
    "CaptionImportReport",
    "CaptionPrompt",
    "CaptionStage",
    "GateFailure",
    "ImportFormat",
    "OcrReport",
    "RapidOcrReader",
    "StageEstimate",
    "TextReader",
    "build_caption_prompt",
    "caption_prompt",
    "check_caption",
    "detect_language",
    "estimate_caption",
    "import_captions",
    "ocr_installed",
    "open_reader",
    "pending_caption_images",
    "retry_temperature",
    "run_ocr",
]

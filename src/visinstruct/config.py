"""The typed project config, ``visinstruct.yaml``.

Validated when loaded: unknown keys are rejected (a typo fails before money is spent) and every
error names the file, the field and, where the YAML says, the line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from visinstruct.errors import ConfigError
from visinstruct.records import KINDS, Kind, Language

__all__ = [
    "CONFIG_FILENAME",
    "CONFIG_TEMPLATE",
    "CONFIG_TEMPLATE_LOCAL",
    "EXPORT_FORMATS",
    "CaptionConfig",
    "CollectConfig",
    "DomainRuleConfig",
    "ExecutorConfig",
    "ExportConfig",
    "ExportFormat",
    "GenerateConfig",
    "ModelSpec",
    "ModelsConfig",
    "OcrConfig",
    "ProjectConfig",
    "ReviewConfig",
    "Role",
    "SeedsConfig",
    "SplitConfig",
    "VerifyConfig",
    "load_config",
    "write_config",
]

CONFIG_FILENAME = "visinstruct.yaml"
Role = Literal["captioner", "generator", "verifier"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelSpec(_Strict):
    """A model for one role: which backend serves it, and how to reach and pay for it."""

    backend: str = "openai"
    model: str
    base_url: str | None = Field(
        default=None,
        description="Endpoint; when unset, $OPENAI_BASE_URL, then the OpenAI API.",
    )
    api_key_env: str = Field(
        default="OPENAI_API_KEY", description="Name of the environment variable holding the key."
    )
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=8, ge=1, le=4096)
    timeout_s: float = Field(default=120.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    ca_bundle: str | None = Field(
        default=None,
        description="CA certificates (PEM file or directory) trusted for this endpoint, "
        "beside the system store; for endpoints behind a private CA.",
    )
    max_retries: int = Field(default=6, ge=0, le=50)
    price_input_per_1m: float = Field(default=0.0, ge=0)
    price_output_per_1m: float = Field(default=0.0, ge=0)
    image_max_side: int = Field(default=1024, ge=32, le=8192)
    image_detail: Literal["auto", "low", "high"] = "auto"
    json_mode: Literal["schema", "object", "off"] = Field(
        default="object",
        description="How to ask for JSON: a JSON schema, plain JSON mode, or prompt only.",
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict, description="Extra request fields passed through as they are."
    )
    batch_discount: float = Field(
        default=0.5, gt=0, le=1, description="openai-batch: share of the prices batch calls cost."
    )
    batch_size: int = Field(
        default=50_000, ge=1, le=50_000, description="openai-batch: most requests in one batch."
    )
    batch_max_bytes: int = Field(
        default=200_000_000,
        ge=1024,
        le=200_000_000,
        description="openai-batch: most bytes in one batch's input file (the provider's cap).",
    )
    max_open_batches: int = Field(
        default=4, ge=1, le=1000, description="openai-batch: most batches in flight at once."
    )
    batch_poll_s: float = Field(
        default=30.0, gt=0, description="openai-batch: seconds between status checks."
    )

    @field_validator("api_key_env")
    @classmethod
    def _env_name_not_a_key(cls, value: str) -> str:
        if value.startswith("sk-") or len(value) > 64:
            raise ValueError(
                "looks like an API key; put the key in an environment variable "
                "and name the variable here"
            )
        return value

    def identity(self) -> dict[str, Any]:
        """What makes this model's output what it is (feeds stage config hashes): not how
        the calls travel, so ``openai`` and ``openai-batch`` share one identity."""
        from visinstruct.models.registry import output_family  # models/ imports this module

        return {
            "backend": output_family(self.backend),
            "model": self.model,
            "extra_body": self.extra_body,
        }


class ModelsConfig(_Strict):
    captioner: ModelSpec | None = None
    generator: ModelSpec | None = None
    verifier: ModelSpec | None = None

    def get(self, role: Role) -> ModelSpec:
        spec: ModelSpec | None = getattr(self, role)
        if spec is None:
            raise ConfigError(
                f"no model is configured for the {role} role; add models.{role}.model "
                "or pass --model",
                field=f"models.{role}",
            )
        return spec


class DomainRuleConfig(_Strict):
    """``match``: a case-insensitive regular expression; ``domain``: the domain it gives."""

    match: str = Field(min_length=1)
    domain: str = Field(pattern=r"^[a-z][a-z0-9_]*$")

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return value


class CollectConfig(_Strict):
    path: Path | None = Field(default=None, description="Image folder; sub-folder = domain.")
    manifest: Path | None = Field(
        default=None,
        description="JSONL manifest of images and their labels (path relative to the file).",
    )
    default_domain: str = Field(
        default="image_description", description="Domain of images at the folder's top level."
    )
    urls: Path | None = Field(default=None, description="A file of image URLs, one a line.")
    webdataset: list[Path] = Field(
        default_factory=list, description="WebDataset tar shards (key.jpg + key.json/.txt)."
    )
    parquet: list[Path] = Field(
        default_factory=list, description="Parquet files with image bytes (datasets layout)."
    )
    parquet_image_column: str = "image"
    domain_rules: list[DomainRuleConfig] = Field(
        default_factory=list,
        description="Keyword rules (regex on file name, title, tags) for images whose source "
        "names no domain; the first match wins.",
    )
    min_side: int = Field(default=16, ge=1, description="Smaller images are rejected.")
    max_aspect_ratio: float = Field(default=20.0, ge=1)
    max_pixels: int = Field(
        default=100_000_000, ge=1, description="Larger images are refused as decompression bombs."
    )
    formats: list[str] = Field(
        default_factory=lambda: ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"],
        description="Image formats accepted (Pillow's names).",
    )
    near_duplicate_distance: int = Field(
        default=8,
        ge=0,
        le=24,
        description="Perceptual-hash bits two images may differ by and count as near "
        "duplicates; 8 is measured to catch resized, re-encoded and lightly cropped copies "
        "(0: near duplicates are kept).",
    )
    cache_dir: Path = Field(
        default=Path("cache"), description="Downloads and images extracted from shards."
    )
    allow_private_addresses: bool = Field(
        default=False,
        description="Allow downloads from private, loopback and link-local addresses.",
    )
    download_timeout_s: float = Field(default=20.0, gt=0)
    max_download_bytes: int = Field(default=50_000_000, ge=1)
    max_redirects: int = Field(default=5, ge=0, le=30)
    download_concurrency: int = Field(default=16, ge=1, le=256)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)


class CaptionConfig(_Strict):
    language: Language = "en"
    prompt_version: str = "v2"
    max_tokens: int = Field(default=1024, ge=16)
    temperature: float = Field(default=0.2, ge=0, le=2)
    min_chars: int = Field(default=40, ge=0, description="Shorter captions fail the gate.")
    max_unit_attempts: int = Field(
        default=3, ge=1, description="Tries per image in one run before it is recorded failed."
    )
    retry_temperature_step: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Added to the temperature on each retry (capped at 1.0), so a refusal "
        "or a loop is not simply asked for again.",
    )
    use_ocr_text: bool = Field(
        default=True, description="Give the image's OCR text to the captioner (prompt v2+)."
    )
    use_prior: bool = Field(
        default=True,
        description="Give the image's prior knowledge (tags, title, ...) to the captioner.",
    )
    max_context_chars: int = Field(
        default=1500, ge=100, description="Longest OCR text, and prior knowledge, per prompt."
    )


class OcrConfig(_Strict):
    """Reading the text in images, offline, before captioning (the ``ocr`` extra)."""

    enabled: Literal["auto"] | bool = Field(
        default="auto",
        description="auto: when the ocr extra is installed; true: required; false: never.",
    )
    skip_domains: list[str] = Field(
        default_factory=list, description="Domains whose images are not read."
    )
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    det_max_side: int = Field(
        default=960,
        ge=64,
        le=8192,
        description="Longest side text detection works at; raise it for small text in big "
        "images (slower).",
    )


def _default_counts() -> dict[Kind, int]:
    return {"judgement": 4, "multiple_choice": 2, "long_vqa": 1, "short_vqa": 2}


def _default_leaks() -> tuple[str, ...]:
    from visinstruct.generate.validate import DEFAULT_EXTRA_LEAKS

    return DEFAULT_EXTRA_LEAKS


def old_length_key_message(chars: Any) -> str:
    """How to replace the character-based ``generate.long_min_chars`` (before 0.x: lengths are
    now words in English and units in Chinese, see PARSING.md)."""
    words = math.ceil(chars / 5) if isinstance(chars, int) and chars >= 0 else 20
    return (
        "long_min_chars (characters) was replaced by long_min_words (English words; a Chinese "
        f"answer needs twice as many units): replace `long_min_chars: {chars}` with "
        f"`long_min_words: {words}` (about 5 characters a word), or delete it for the default 20"
    )


class GenerateConfig(_Strict):
    languages: list[Language] = Field(default_factory=lambda: list[Language](["en"]), min_length=1)
    counts: dict[Kind, int] = Field(default_factory=_default_counts)
    prompt_version: str = "v2"
    max_tokens: int = Field(default=2048, ge=16)
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_unit_attempts: int = Field(default=3, ge=1)
    mode: Literal["caption", "vision"] = Field(
        default="caption",
        description="caption: a text LLM sees caption, OCR and prior; vision: the image too.",
    )
    layout: Literal["combined", "per_kind"] = Field(
        default="combined",
        description="combined: every kind in one call (caption sent once); per_kind: a call each.",
    )
    format: Literal["json", "tagged"] = Field(
        default="json", description="Reply format: JSON (schema when served) or <Q1>…</Q1> tags."
    )
    short_max_words: int = Field(
        default=8, ge=1, le=100, description="Short VQA: at most this many words (zh: 2x units)."
    )
    long_min_words: int = Field(
        default=20, ge=0, le=1000, description="Long VQA: at least this many words (zh: 2x units)."
    )
    leak_phrases: list[str] = Field(
        default_factory=lambda: list(_default_leaks()),
        description="Extra phrases that refuse an item (besides the rule book's own).",
    )
    reject_seed_copies: bool = Field(
        default=True, description="Reject questions that are near-copies of a sampled seed."
    )
    seed_copy_similarity: float = Field(default=0.85, gt=0, le=1)
    judgement_balance: bool = Field(
        default=True, description="Keep at most half of a judgement set per answer (Yes/No)."
    )
    repair: bool = Field(
        default=True, description="One follow-up turn with the complaint for an unusable reply."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_character_limits(cls, data: Any) -> Any:
        if isinstance(data, dict) and "long_min_chars" in data:
            raise ValueError(old_length_key_message(data["long_min_chars"]))
        return data

    @field_validator("counts")
    @classmethod
    def _counts_sane(cls, value: dict[Kind, int]) -> dict[Kind, int]:
        for kind, n in value.items():
            if n < 0 or n > 50:
                raise ValueError(f"{kind}: count must be between 0 and 50, got {n}")
        if not any(value.get(k, 0) for k in KINDS):
            raise ValueError("at least one kind needs a count above 0")
        return value


class SeedsConfig(_Strict):
    paths: list[Path] = Field(
        default_factory=list,
        description="Extra seed files or folders; the project's seeds/ folder is always read.",
    )
    per_call: int = Field(default=3, ge=1, le=20, description="Seeds sampled into one prompt.")
    run_seed: int = Field(default=0, description="Makes seed sampling reproducible.")


class SplitConfig(_Strict):
    """Fractions of images (not instructions) held out; the rest is train."""

    validation: float = Field(default=0.0, ge=0, lt=1)
    test: float = Field(default=0.0, ge=0, lt=1)
    seed: int = 0

    @field_validator("test")
    @classmethod
    def _room_for_train(cls, value: float, info: ValidationInfo) -> float:
        if value + info.data.get("validation", 0.0) >= 1:
            raise ValueError("validation + test must leave some images for train")
        return value


ExportFormat = Literal["llava", "sharegpt", "internvl", "parquet", "vlmevalkit", "lmms_eval"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = (
    "llava",
    "sharegpt",
    "internvl",
    "parquet",
    "vlmevalkit",
    "lmms_eval",
)
ReviewStatus = Literal["unreviewed", "accepted", "edited", "rejected", "flagged"]


class ExportConfig(_Strict):
    dir: Path = Path("exports")
    image_root: Path | None = Field(
        default=None,
        description="The folder image paths are written relative to (default: the deepest "
        "folder that holds every exported image); each trainer's root setting names it.",
    )
    absolute_image_paths: bool = Field(
        default=False, description="Write absolute image paths instead of relative ones."
    )
    reserved_tokens: list[str] = Field(
        default_factory=lambda: [
            r"<image>",
            r"<video>",
            r"<audio>",
            r"</?img>",
            r"<IMG_CONTEXT>",
            r"</?(?:ref|box|quad)>",
            r"<\|[^|<>\s]{1,40}\|>",
        ],
        description="Regular expressions for trainers' placeholder and special tokens; a "
        "match in instruction text is escaped in every export (< > become ‹ ›).",
    )
    formats: list[ExportFormat] = Field(default_factory=lambda: list[ExportFormat](["llava"]))

    @field_validator("reserved_tokens")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from exc
        return value

    turns: int = Field(
        default=1, ge=1, le=50, description="Instructions per conversation (rounds per sample)."
    )
    split: SplitConfig = Field(default_factory=SplitConfig)
    review_status: list[ReviewStatus] = Field(
        default_factory=lambda: list[ReviewStatus](["unreviewed", "accepted", "edited"]),
        description="Which review states to export.",
    )
    drop_failed_checks: bool = Field(
        default=True, description="Leave out instructions a verification check failed."
    )
    include_imports: bool = Field(
        default=True, description="Export imported open-dataset instructions too."
    )
    dataset_name: str = Field(default="visinstruct", pattern=r"^[A-Za-z0-9_.-]+$")


class ReviewConfig(_Strict):
    """Manual correction (step f): the review app, its sampling plan and what review costs."""

    hourly_rate_usd: float = Field(
        default=20.0, ge=0, description="What an hour of a reviewer's time costs."
    )
    manual_minutes_per_instruction: float = Field(
        default=2.0,
        gt=0,
        description="Minutes to write one instruction by hand: the baseline review is "
        "compared with (at the same hourly rate).",
    )
    sample_rate: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="Share of the unflagged instructions, per domain/kind/language, that the "
        "sampling plan draws for review; the error rate is estimated from them.",
    )
    sample_seed: int = Field(default=0, description="Makes the sampling plan reproducible.")
    page_size: int = Field(default=50, ge=5, le=500, description="Images per queue page.")
    image_max_side: int = Field(
        default=1280, ge=128, le=8192, description="Longest side of the image a reviewer sees."
    )
    max_seconds_per_action: float = Field(
        default=300.0,
        gt=0,
        description="Longest time one action counts for: a reviewer away from the desk "
        "does not inflate the review hours.",
    )
    session_idle_minutes: float = Field(
        default=60.0, gt=0, description="A review login ends after this long without a request."
    )
    session_max_hours: float = Field(
        default=12.0, gt=0, description="A review login ends this long after it began."
    )


# Domains whose answers legitimately go beyond what the caption says (inference, arithmetic,
# prediction, writing): the local grounding check leaves them to the model checks.
_REASONING_DOMAINS = [
    "commonsense_reasoning",
    "complex_reasoning",
    "future_prediction",
    "numerical_calculation",
    "writing",
]


class VerifyConfig(_Strict):
    """Verification after generation: model checks, local checks, duplicates, balance.

    Thresholds apply when verdicts are read, not when they are bought: changing one re-judges
    the stored scores without a model call.
    """

    enabled: Literal["auto"] | bool = Field(
        default="auto",
        description="Whether `run` verifies after generating; auto: when models.verifier is set.",
    )
    include_imports: bool = Field(default=True, description="Verify imported instructions too.")
    answer_check: bool = Field(
        default=True, description="The verifier VLM sees image, question and answer and judges."
    )
    blind_check: bool = Field(
        default=True, description="Judgement and MC: the VLM answers blind; must agree."
    )
    caption_check: bool = Field(
        default=True, description="The verifier checks the answer against caption and OCR text."
    )
    use_logprobs: bool = Field(
        default=True, description="Score verdicts by token log-probabilities when served."
    )
    prompt_version: str = "v1"
    max_tokens: int = Field(default=8, ge=1, le=256)
    max_unit_attempts: int = Field(default=3, ge=1)
    skip_flagged: bool = Field(
        default=True, description="No model call for items a local or duplicate check flagged."
    )
    answer_threshold: float = Field(default=0.5, ge=0, le=1, description="Least P(correct).")
    blind_threshold: float = Field(
        default=0.35, ge=0, le=1, description="Least P(blind answer = proposed answer)."
    )
    caption_threshold: float = Field(default=0.5, ge=0, le=1, description="Least P(supported).")
    grounding_check: bool = Field(
        default=True,
        description="Numbers and names in the answer must appear in caption, OCR or prior.",
    )
    grounding_skip_domains: list[str] = Field(default_factory=lambda: list(_REASONING_DOMAINS))
    option_overlap_check: bool = True
    option_similarity: float = Field(default=0.8, gt=0, le=1)
    type_check: bool = Field(default=True, description="Question and answer types must match.")
    language_check: bool = True
    judgement_check: bool = Field(
        default=True, description="Judgement answers must be exactly Yes/No (en) or 是/否 (zh)."
    )
    duplicate_check: bool = Field(default=True, description="Near-duplicates within an image.")
    duplicate_similarity: float = Field(default=0.8, gt=0, le=1)
    contradiction_check: bool = Field(
        default=True, description="One question asked twice on an image with different answers."
    )
    contradiction_similarity: float = Field(
        default=0.9, gt=0, le=1, description="Least word overlap (and order) of the two questions."
    )
    across_images_check: bool = Field(
        default=True, description="Near-duplicate question + answer text on different images."
    )
    across_similarity: float = Field(default=0.85, gt=0, le=1)
    across_min_words: int = Field(
        default=20, ge=3, description="Shorter question + answer pairs are not distinctive."
    )
    sketch_size: int = Field(default=64, ge=8, le=512, description="MinHash values per item.")
    rebalance_choices: bool = Field(
        default=True, description="Reorder MC options so answer letters are uniform per domain."
    )
    yes_no_balance: bool = Field(
        default=True, description="Flag surplus majority answers of skewed domains."
    )
    yes_no_tolerance: float = Field(default=0.05, ge=0, lt=0.5)
    yes_no_min_items: int = Field(default=40, ge=1)
    kind_shares: dict[Kind, float] = Field(
        default_factory=dict,
        description="Target share per kind (report only); default: from generate.counts.",
    )
    domain_minimums: dict[str, int] = Field(
        default_factory=dict, description="Least kept instructions per domain (report only)."
    )
    quota_tolerance: float = Field(default=0.05, ge=0, le=1)


class ExecutorConfig(_Strict):
    """How units are scheduled and how their results reach the store."""

    kind: Literal["local", "ray"] = Field(
        default="local", description="local: one asyncio loop; ray: Ray workers (extra 'ray')."
    )
    ray_address: str | None = Field(
        default=None, description="Ray cluster to join; unset starts a local Ray instance."
    )
    ray_workers: int = Field(default=2, ge=1, le=1024, description="Ray worker actors.")
    ray_ship_max_mb: float = Field(
        default=32.0,
        ge=0,
        description="Image files up to this size travel to Ray workers in the unit; larger ones "
        "by path, which every node must then be able to read.",
    )
    cpu_workers: int = Field(
        default=0,
        ge=0,
        le=1024,
        description="Processes for CPU work (decoding, hashing, OCR); 0: every core.",
    )
    flush_units: int = Field(
        default=256, ge=1, description="Commit buffered unit results after this many units."
    )
    flush_ms: float = Field(
        default=0.0,
        ge=0,
        description="...or this long after the first one (0: at the end of the loop turn).",
    )
    lock_wait_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a commit waits for another connection's write lock before the "
        "run stops (non-zero exit, nothing committed is lost).",
    )


class ProjectConfig(_Strict):
    version: Literal[1] = 1
    name: str = "visinstruct-project"
    collect: CollectConfig = Field(default_factory=CollectConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    ocr: OcrConfig = Field(default_factory=OcrConfig)
    caption: CaptionConfig = Field(default_factory=CaptionConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    seeds: SeedsConfig = Field(default_factory=SeedsConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    verify: VerifyConfig = Field(default_factory=VerifyConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)

    def resolve_paths(self, base: Path) -> ProjectConfig:
        """Paths in a config file are relative to the file's folder."""
        data = self.model_copy(deep=True)
        if data.collect.path is not None and not data.collect.path.is_absolute():
            data.collect.path = (base / data.collect.path).resolve()
        if data.collect.manifest is not None and not data.collect.manifest.is_absolute():
            data.collect.manifest = (base / data.collect.manifest).resolve()
        c = data.collect
        if c.urls is not None and not c.urls.is_absolute():
            c.urls = (base / c.urls).resolve()
        c.webdataset = [p if p.is_absolute() else (base / p).resolve() for p in c.webdataset]
        c.parquet = [p if p.is_absolute() else (base / p).resolve() for p in c.parquet]
        data.seeds.paths = [
            p if p.is_absolute() else (base / p).resolve() for p in data.seeds.paths
        ]
        if not data.export.dir.is_absolute():
            data.export.dir = (base / data.export.dir).resolve()
        if data.export.image_root is not None and not data.export.image_root.is_absolute():
            data.export.image_root = (base / data.export.image_root).resolve()
        return data


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc``, or of its nearest ancestor."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        found = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    found = value
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            found = node.value[part]
            line = found.start_mark.line + 1
        if found is None:
            break
        node = found
    return line


def _refuse_old_keys(data: dict[str, Any], root: Any, path: Path) -> None:
    """Keys replaced by newer ones: an error naming the line and the replacement."""
    generate = data.get("generate")
    if isinstance(generate, dict) and "long_min_chars" in generate:
        line = _line_of(root, ("generate", "long_min_chars"))
        where = f"line {line}, " if line else ""
        message = old_length_key_message(generate["long_min_chars"])
        raise ConfigError(f"{where}generate.{message}", path=str(path))


def load_config(path: str | Path) -> ProjectConfig:
    """Load and validate ``path``; raise :class:`ConfigError` naming file, field and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            "no such config file; create one with `visinstruct init DIR`", path=str(path)
        ) from exc
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=str(path)) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of settings", path=str(path))
    _refuse_old_keys(data, root, path)
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not isinstance(p, str) or "[" not in p)
            field = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(root, loc)
            where = f"line {line}, " if line else ""
            msg = (
                "unknown key (check the spelling)"
                if err["type"] == "extra_forbidden"
                else err["msg"]
            )
            problems.append(f"{where}{field}: {msg}")
        raise ConfigError("; ".join(problems), path=str(path)) from exc
    return config.resolve_paths(path.parent.resolve())


def write_config(config: ProjectConfig, path: str | Path) -> None:
    """Write ``config`` as YAML, leaving defaults out so the file stays short."""
    data = config.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("version", 1)
    Path(path).write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


CONFIG_TEMPLATE = """\
# visinstruct project config. Paths are relative to this file.
# Every key is checked when the file is loaded: a misspelt key is an error, not ignored.
version: 1
name: my-project

collect:
  path: images              # one sub-folder per domain, e.g. images/landmark/*.jpg
  default_domain: image_description
  # manifest: labels.jsonl  # JSONL or CSV rows: path or URL, domain, tags, title, alt, ...
  # urls: urls.txt          # image URLs, one a line (downloads cached under cache/)
  # webdataset: [shards/00000.tar]
  # parquet: [data/train-00000.parquet]
  near_duplicate_distance: 8  # perceptual-hash bits; 0 keeps near duplicates
  min_side: 16              # smaller images are rejected
  max_aspect_ratio: 20
  # domain_rules: [{match: "poster|flyer", domain: posters}]
  # allow_private_addresses: false   # downloads from intranet/loopback addresses

models:
  # Any OpenAI-compatible chat-completions endpoint: OpenAI, vLLM, LMDeploy, Ollama, ...
  # base_url falls back to $OPENAI_BASE_URL, then the OpenAI API; the key is read from the
  # environment variable named by api_key_env (never write a key in this file).
  # The limits below are OpenAI's tier-1 quota for gpt-4o-mini, counted before sending, image
  # tokens included: 200000 tokens a minute at ~1,400 tokens a captioned image is about 2.3
  # captions a second, whatever the server could do. Raise them to your quota; for a local
  # server (vLLM, LMDeploy, Ollama) delete them (`visinstruct init --local` writes that).
  captioner:
    model: gpt-4o-mini
    api_key_env: OPENAI_API_KEY
    requests_per_minute: 500
    tokens_per_minute: 200000
    concurrency: 8
    timeout_s: 120
    price_input_per_1m: 0.15
    price_output_per_1m: 0.60
    image_max_side: 1024
    image_detail: auto
  generator:
    model: gpt-4o-mini
    api_key_env: OPENAI_API_KEY
    requests_per_minute: 500
    tokens_per_minute: 200000
    concurrency: 8
    price_input_per_1m: 0.15
    price_output_per_1m: 0.60
    json_mode: object       # schema | object | off

ocr:
  enabled: auto             # auto: when installed (pip install 'visinstruct[ocr]') | true | false
  skip_domains: []          # domains whose images are not read, e.g. [image_emotion]

caption:
  language: en              # en | zh: the language captions are written (and checked) in
  prompt_version: v2        # v2 gives the model the OCR text and prior knowledge when present
  min_chars: 40             # shorter captions fail the quality gate
  max_unit_attempts: 3      # tries per image per run; then the image is recorded failed

generate:
  languages: [en]          # en, zh or both
  counts: {judgement: 4, multiple_choice: 2, long_vqa: 1, short_vqa: 2}
  mode: caption            # caption (text LLM) | vision (the generator also sees the image)
  layout: combined         # combined (one call, caption sent once) | per_kind (a call per kind)
  format: json             # json | tagged (<Q1>..</Q1><C1>..</C1><A1>..</A1>)
  short_max_words: 8       # short VQA: at most 8 words (Chinese: 16 units)
  long_min_words: 20       # long VQA: at least 20 words (Chinese: 40 units)
  reject_seed_copies: true

export:
  dir: exports
"""

_LOCAL_MODELS = """\
models:
  # A local OpenAI-compatible server (vLLM: `vllm serve Qwen/Qwen2-VL-7B-Instruct`; Ollama:
  # base_url http://127.0.0.1:11434/v1). No rate limits: concurrency alone bounds the load, so
  # the server runs as fast as it can. Local calls cost nothing; set prices to measure GPU cost.
  captioner:
    model: Qwen/Qwen2-VL-7B-Instruct
    base_url: http://127.0.0.1:8000/v1
    api_key_env: LOCAL_API_KEY   # any value; vLLM checks it only when started with --api-key
    concurrency: 32
    timeout_s: 300
    image_max_side: 1024
  generator:
    model: Qwen/Qwen2-VL-7B-Instruct
    base_url: http://127.0.0.1:8000/v1
    api_key_env: LOCAL_API_KEY
    concurrency: 32
    json_mode: schema       # vLLM and LMDeploy support JSON-schema output

"""
CONFIG_TEMPLATE_LOCAL = (
    CONFIG_TEMPLATE[: CONFIG_TEMPLATE.index("models:\n")]
    + _LOCAL_MODELS
    + CONFIG_TEMPLATE[CONFIG_TEMPLATE.index("ocr:\n") :]
)

"""The card's "Load it" section: for each trainer the export fed, the settings that read it.

Data files hold image paths relative to one image root; each trainer takes that root from its
own setting (LLaVA ``--image_folder``, LLaMA-Factory ``media_dir``, ms-swift
``ROOT_IMAGE_DIR``, InternVL's meta ``root``), so the section names it for each one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from visinstruct.export.internvl import META_EVAL_FILE, META_FILE
from visinstruct.export.llava import ExportReport
from visinstruct.export.source import ExportSource
from visinstruct.export.vlmevalkit import DATA_CONFIG

__all__ = ["load_section"]


def _files(reports: Sequence[ExportReport], fmt: str, tmp: Path, final: Path) -> dict[str, Path]:
    return {r.split: final / r.path.relative_to(tmp) for r in reports if r.format == fmt}


def _llava(files: dict[str, Path], root: str) -> list[str]:
    return [
        "**LLaVA-1.5** (`llava/train/train.py`, which opens `os.path.join(image_folder, image)`):",
        f"`--data_path {files.get('train', next(iter(files.values())))} --image_folder {root}`",
    ]


def _sharegpt(files: dict[str, Path], root: str, name: str, final: Path) -> list[str]:
    train = files.get("train", next(iter(files.values())))
    return [
        f"**LLaMA-Factory**: `dataset_dir: {final}`, `dataset: {name}_train`, "
        f"`media_dir: {root}` (each `dataset_info.json` entry names it too; held-out splits "
        f"are the `{name}_validation` / `{name}_test` entries).",
        f"**ms-swift**: `ROOT_IMAGE_DIR={root} swift sft --dataset {train} ...` "
        "(the `messages` / `images` columns are its standard format).",
    ]


def _internvl(final: Path, has_eval: bool) -> list[str]:
    eval_note = f"; validation and test are in `{final / META_EVAL_FILE}`" if has_eval else ""
    return [
        f"**InternVL** (chat fine-tune scripts): `--meta_path {final / META_FILE}` — it trains "
        f"on every entry, so it lists the train split only{eval_note}. Each entry's `root` is "
        "the image root.",
    ]


def load_section(source: ExportSource, reports: Sequence[ExportReport], tmp: Path) -> str:
    final = source.final_dir or tmp
    root = str(source.image_root) if source.image_root is not None else '""'
    name = source.config.export.dataset_name
    lines = [
        f"Image paths in the data files are relative to the image root `{root}`."
        if source.image_root is not None
        else "Image paths in the data files are absolute.",
    ]
    formats = {r.format for r in reports}
    if "llava" in formats:
        lines += _llava(_files(reports, "llava", tmp, final), root)
    if "sharegpt" in formats:
        lines += _sharegpt(_files(reports, "sharegpt", tmp, final), root, name, final)
    if "internvl" in formats:
        lines += _internvl(final, any(r.format == "internvl" and r.split != "train"
                                      for r in reports))  # fmt: skip
    if "parquet" in formats:
        files = _files(reports, "parquet", tmp, final)
        spec = ", ".join(f'"{s}": "{p}"' for s, p in files.items())
        lines.append(
            f'**Hugging Face datasets**: `load_dataset("parquet", data_files={{{spec}}})` — '
            "images are inside the rows; `kind`, `language`, `domain`, `split` are columns."
        )
    if "vlmevalkit" in formats:
        lines.append(
            f"**VLMEvalKit**: copy the two TSVs into `$LMUData`, put your model under `model` "
            f"beside the `data` section of `{final / DATA_CONFIG}` (it names `ImageMCQDataset` "
            "and `ImageYORNDataset`), then `python run.py --config <that file>`. Answer keys are "
            "English; results carry `id` and `image_id` to join back."
        )
    if "lmms_eval" in formats:
        lines.append(
            f"**lmms-eval**: `lmms-eval --include_path {final / 'lmms_eval'} --tasks "
            f"{name}_test --model ...` (`VISINSTRUCT_IMAGE_ROOT` overrides the image root)."
        )
    lines.append(
        "Moved the project folder? Run `visinstruct collect` and `visinstruct export` there: "
        "collect recognises the moved images, and the export writes the new root."
    )
    return "\n\n".join(lines)

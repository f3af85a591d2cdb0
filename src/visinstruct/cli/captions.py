"""Caption-step commands: ``visinstruct ocr`` and ``visinstruct import captions``.

Also the OCR step of ``visinstruct run`` (:func:`ocr_step`), so that ``run`` and ``ocr`` report
the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from rich.console import Console

from visinstruct.caption import (
    IMPORT_FORMATS,
    CaptionImportReport,
    ImportFormat,
    OcrReport,
    open_reader,
)
from visinstruct.cli._common import err, open_project, project_options, user_errors
from visinstruct.cli.progress import RichProgress
from visinstruct.project import Project

__all__ = [
    "import_captions_cmd",
    "ocr_cmd",
    "ocr_step",
]

F = TypeVar("F", bound=Callable[..., Any])
_SHOWN_ERRORS = 20


def _ocr_line(report: OcrReport) -> str:
    if report.not_run is not None:
        return f"ocr: not run: {report.not_run}"
    parts = [
        f"{report.read} images read ({report.lines} text lines)",
        f"{report.cached} already read",
    ]
    if report.skipped:
        parts.append(f"{report.skipped} skipped (ocr.skip_domains)")
    if report.failed:
        parts.append(f"{report.failed} failed")
    return "ocr: " + ", ".join(parts)


def ocr_step(project: Project, console: Console | None = None) -> OcrReport:
    """Run OCR with progress bars and print one summary line (the ``run`` command's step)."""
    console = console or err
    bars = RichProgress(console)
    try:
        report = project.ocr(bars)
    finally:
        bars.close()
    console.print(_ocr_line(report), highlight=False)
    for error in report.errors[:_SHOWN_ERRORS]:
        console.print(f"  {error}", highlight=False, markup=False)
    return report


@click.command("ocr")
@project_options
def ocr_cmd(project: Path, config_file: Path | None) -> None:
    """Read the text in every image (offline OCR), for the captioner to use.

    Images already read by the same engine and settings are skipped. Needs the ocr extra:
    pip install 'visinstruct[ocr]'.
    """
    with user_errors(), open_project(project, config_file) as p, p.lock():
        if p.config.ocr.enabled is False:
            click.echo("OCR is off in this project (ocr.enabled: false); set it to true or auto.")
            return
        # Asked for by name, a missing extra is an error even under ``enabled: auto``.
        reader, _ = open_reader(p.config.ocr.model_copy(update={"enabled": True}))
        bars = RichProgress(err)
        try:
            report = p.ocr(bars, reader=reader)
        finally:
            bars.close()
    click.echo(_ocr_line(report))
    for error in report.errors[:_SHOWN_ERRORS]:
        click.echo(f"  {error}", err=True)
    if report.failed:
        sys.exit(1)


def _echo_import(report: CaptionImportReport) -> None:
    click.echo(
        f"Imported {report.imported} captions ({report.new_images} new images) from "
        f"{report.file}; {report.already} already captioned under the current settings; "
        f"{len(report.errors) + report.more_errors} bad rows"
    )
    for error in report.errors[:_SHOWN_ERRORS]:
        click.echo(f"  {error}", err=True)
    hidden = len(report.errors) + report.more_errors - _SHOWN_ERRORS
    if hidden > 0:
        click.echo(f"  ... and {hidden} more bad rows", err=True)


@click.command("captions")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(IMPORT_FORMATS), default="reference", show_default=True,
    help="reference: the reference engine's caption JSONL; jsonl / csv: name the columns.",
)  # fmt: skip
@click.option("--image-col", help="Column with the image path (jsonl/csv default: image).")
@click.option("--caption-col", help="Column with the caption (jsonl/csv default: caption).")
@click.option("--domain", help="Domain of images new to the project (default: collect's).")
@click.option(
    "--image-root", type=click.Path(file_okay=False, path_type=Path),
    help="Folder relative image paths start from (default: the file's folder).",
)  # fmt: skip
@project_options
def import_captions_cmd(
    file: Path, fmt: str, image_col: str | None, caption_col: str | None, domain: str | None,
    image_root: Path | None, project: Path, config_file: Path | None,
) -> None:  # fmt: skip
    """Import existing captions so generation uses them without a model call.

    Each caption is stored under the current caption settings (model included), so import
    after those are final; images the file names are collected into the project if needed.
    """
    with user_errors(), open_project(project, config_file) as p, p.lock():
        if p.config.models.captioner is None:
            click.echo(
                "note: no captioner model is configured; the captions are stored under "
                "settings without one. If you later set models.captioner, import again.",
                err=True,
            )
        report = p.import_captions(
            file, fmt=cast(ImportFormat, fmt), image_col=image_col, caption_col=caption_col,
            domain=domain, image_root=image_root,
        )  # fmt: skip
    _echo_import(report)
    if report.errors or report.more_errors:
        sys.exit(1)

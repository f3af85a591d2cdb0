"""``visinstruct import generations``: bring the reference engine's saved outputs in, checked."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import get_args

import click

from visinstruct.cli._common import user_errors
from visinstruct.config import CONFIG_FILENAME, ProjectConfig, load_config
from visinstruct.generate import GenerationImportReport, Rules, import_generations
from visinstruct.project import DB_FILENAME
from visinstruct.records import Kind, Language
from visinstruct.store import Store

__all__ = ["import_generations_cmd"]


def _config(project: Path) -> ProjectConfig:
    """The project's config when it has one (its thresholds apply), else the defaults."""
    path = project / CONFIG_FILENAME
    return load_config(path) if path.is_file() else ProjectConfig()


def _summary(report: GenerationImportReport) -> list[str]:
    lines = [
        f"{report.rows} rows: {report.instructions} instructions imported, "
        f"{report.rejected_items} items rejected, {report.failed_rows} rows with nothing "
        f"usable, {report.already_done} already imported, {len(report.skipped)} skipped; "
        f"{report.images_added} new images collected.",
    ]
    if report.reasons:
        counted = ", ".join(f"{code} {n}" for code, n in sorted(report.reasons.items()))
        lines.append(f"Rejected items by reason: {counted}.")
    for number, reason in report.skipped[:20]:
        lines.append(f"  line {number}: {reason}")
    if len(report.skipped) > 20:
        lines.append(f"  ... and {len(report.skipped) - 20} more skipped rows")
    return lines


@click.command("generations")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--project", "-p", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Project folder (its generate.* thresholds are used).",
)  # fmt: skip
@click.option(
    "--kind", type=click.Choice(get_args(Kind)), default=None,
    help="Kind of every row (default: from each row's prompt, else from each item's shape).",
)  # fmt: skip
@click.option(
    "--language", type=click.Choice(get_args(Language)), default=None,
    help="Language of every row (default: from the reply's script).",
)  # fmt: skip
@click.option(
    "--images-root", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder that relative image_path values are relative to.",
)  # fmt: skip
@click.option("--domain", default=None, help="Domain of every image (default: inferred).")
@click.option("--model", default="reference", show_default=True, help="Model named in provenance.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_generations_cmd(
    file: Path,
    project: Path,
    kind: Kind | None,
    language: Language | None,
    images_root: Path | None,
    domain: str | None,
    model: str,
    as_json: bool,
) -> None:
    """Import FILE, a JSONL of the reference engine's outputs (image_path, qa_raw, gpt_prompt).

    Every row goes through the same parser and checks as generated replies; importing the same
    file again adds nothing.
    """
    with user_errors():
        config = _config(project)
        project.mkdir(parents=True, exist_ok=True)
        with Store(project / DB_FILENAME) as store:
            report = import_generations(
                store, file, Rules.of(config.generate), kind=kind, language=language,
                images_root=images_root, domain=domain, model=model,
            )  # fmt: skip
    if as_json:
        click.echo(json.dumps(asdict(report), ensure_ascii=False, indent=2))
        return
    for line in _summary(report):
        click.echo(line)

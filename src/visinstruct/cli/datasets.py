"""``visinstruct import dataset``: bring an open-source dataset into the project's records."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from visinstruct.errors import VisinstructError
from visinstruct.expand.imports import FORMATS, ImportReport, import_dataset, load_mapping
from visinstruct.project import Project

__all__ = ["import_dataset_cmd"]


@click.command("dataset")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="generic", show_default=True,
    help="The dataset's layout; generic reads JSONL/JSON/CSV/TSV/parquet via --mapping.",
)  # fmt: skip
@click.option(
    "--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML naming the generic format's columns (image, question, choices, answer, ...).",
)  # fmt: skip
@click.option("--domain", help="Domain for the imported rows (default: the format's own).")
@click.option("--split", help="Import only rows of this split (e.g. train).")
@click.option("--limit", type=click.IntRange(min=1), help="Import at most N rows.")
@click.option(
    "--project", "-p", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Project folder.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_dataset_cmd(
    path: Path,
    fmt: str,
    mapping: Path | None,
    domain: str | None,
    split: str | None,
    limit: int | None,
    project: Path,
    as_json: bool,
) -> None:
    """Import the dataset at PATH (a file, or the format's folder) as instructions.

    Rerunning adds nothing already imported; rows that failed are tried again.
    """
    try:
        spec = None if mapping is None else load_mapping(mapping)
        with Project.open(project) as opened:
            report = import_dataset(
                opened.store, opened.root, path, fmt,
                mapping=spec, domain=domain, split=split, limit=limit,
            )  # fmt: skip
    except VisinstructError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        data = asdict(report) | {"skipped_count": report.skipped_count}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if report.error_count:
        sys.exit(1)


def _print_report(report: ImportReport) -> None:
    click.echo(
        f"{report.adapter}: {report.imported} rows imported "
        f"({report.instructions_added} new instructions, {report.images_added} new images), "
        f"{report.already_done} already imported, {report.skipped_count} skipped, "
        f"{report.error_count} errors"
    )
    if report.other_split:
        click.echo(f"  {report.other_split} rows of other splits left out")
    for reason, count in sorted(report.skipped.items(), key=lambda item: -item[1]):
        click.echo(f"  skipped {count}: {reason}")
    for message in report.errors:
        click.echo(f"error: {message}", err=True)
    if report.error_count > len(report.errors):
        click.echo(f"... and {report.error_count - len(report.errors)} more errors", err=True)
    if report.error_count:
        click.echo(
            "Fix the rows above and rerun the same command: imported rows are kept and not "
            "repeated; failed rows are tried again.",
            err=True,
        )

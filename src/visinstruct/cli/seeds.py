"""``visinstruct seeds``: list, show, validate and import seed-question banks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from visinstruct.cli._common import user_errors
from visinstruct.config import CONFIG_FILENAME, load_config
from visinstruct.records import KINDS, LANGUAGES
from visinstruct.seeds import (
    ImportReport,
    SeedBank,
    ValidationReport,
    import_reference,
    load_bank,
    validate_path,
    validate_shipped_bank,
)

__all__ = ["seeds_group"]

_KIND_HINTS = {
    "judgement": "Yes/No",
    "multiple_choice": "4 options A-D",
    "long_vqa": "answered by a paragraph",
    "short_vqa": "answered by a word or phrase",
}
_project_option = click.option(
    "--project", "-p", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Project folder; its seeds/ folder and seeds.paths are read too.",
)  # fmt: skip


def _project_bank(project: Path) -> SeedBank:
    """The bank a run in ``project`` would use: shipped, project seeds/, then seeds.paths."""
    config_file = project / CONFIG_FILENAME
    extra = load_config(config_file).seeds.paths if config_file.is_file() else []
    return load_bank(extra_paths=extra, project_dir=project)


@click.group("seeds")
def seeds_group() -> None:
    """Seed questions: the expert examples the generator imitates, per domain, kind, language."""


@seeds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_project_option
def list_cmd(as_json: bool, project: Path) -> None:
    """List the domains with their seed counts per kind (en/zh)."""
    with user_errors():
        bank = _project_bank(project)
    if as_json:
        click.echo(json.dumps(_list_json(bank), ensure_ascii=False, indent=2))
        return
    for line in _list_table(bank):
        click.echo(line)


def _list_json(bank: SeedBank) -> dict[str, Any]:
    domains = [
        {"domain": d.domain, "title": d.title, "counts": d.counts()}
        for d in (bank.domain(name) for name in bank.names())
    ]
    return {"domains": domains, "kinds": list(KINDS), "languages": list(LANGUAGES)}


def _list_table(bank: SeedBank) -> list[str]:
    names = bank.names()
    width = max([len("domain"), *(len(n) for n in names)])
    cols = [max(len(k), 7) for k in KINDS]
    header = "  ".join(
        [f"{'domain':<{width}}", *(f"{k:>{c}}" for k, c in zip(KINDS, cols, strict=True))]
    )
    lines = [header, "-" * len(header)]
    for name in names:
        counts = bank.domain(name).counts()
        cells = (f"{counts[k]['en']}/{counts[k]['zh']}" for k in KINDS)
        lines.append(
            "  ".join(
                [f"{name:<{width}}", *(f"{c:>{w}}" for c, w in zip(cells, cols, strict=True))]
            )
        )
    lines.append(f"{len(names)} domains, {bank.total()} seed questions (counts are en/zh)")
    return lines


@seeds_group.command("show")
@click.argument("domain")
@_project_option
def show_cmd(domain: str, project: Path) -> None:
    """Show one domain's description and all of its seed questions."""
    with user_errors():
        bank = _project_bank(project)
        found = bank.domain(domain)
    click.echo(f"{found.domain}: {found.title}")
    click.echo(found.description)
    click.echo(f"(from {bank.sources[domain]})")
    for kind in KINDS:
        click.echo("")
        click.echo(f"{kind} ({_KIND_HINTS[kind]})")
        for lang in LANGUAGES:
            click.echo(f"  {lang}:")
            for i, question in enumerate(found.questions(kind, lang), start=1):
                click.echo(f"    {i:>2}. {question}")


@seeds_group.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def validate_cmd(path: Path | None) -> None:
    """Check seed files (default: the bank shipped with visinstruct); exit 1 on any problem."""
    with user_errors():
        report = validate_shipped_bank() if path is None else validate_path(path)
    _print_validation(report)
    if not report.ok:
        sys.exit(1)


def _print_validation(report: ValidationReport) -> None:
    for problem in report.problems:
        click.echo(str(problem))
    files = f"{len(report.files)} file{'s' if len(report.files) != 1 else ''}"
    if report.ok:
        click.echo(f"OK: {files}, {report.seeds} seed questions, no problems")
        return
    errors = sum(p.severity == "error" for p in report.problems)
    warnings = len(report.problems) - errors
    click.echo(f"{files} checked: {errors} errors, {warnings} warnings", err=True)


@seeds_group.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("seeds"),
    show_default=True, help="Folder to write <domain>.yaml files into (a project's seeds/).",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Replace files that already exist in --out.")
def import_cmd(path: Path, out_dir: Path, force: bool) -> None:
    """Import MMInstruct reference seed files (JSON) from PATH, a file or a folder.

    Empty or unusable files are reported and skipped; the command still succeeds.
    """
    with user_errors():
        report = import_reference(path, out_dir, overwrite=force)
    _print_import(report)


def _print_import(report: ImportReport) -> None:
    for item in report.imported:
        counts = ", ".join(f"{k} {item.counts[k]['en']}/{item.counts[k]['zh']}" for k in KINDS)
        click.echo(f"imported {item.source} -> {item.output} ({counts})")
        for warning in item.warnings:
            click.echo(f"  warning: {warning}")
    for skipped in report.skipped:
        click.echo(f"skipped {skipped.source}: {skipped.reason}")
    flagged = sum(bool(i.warnings) for i in report.imported)
    click.echo(
        f"{len(report.imported)} imported, {len(report.skipped)} skipped, "
        f"{flagged} with warnings (counts are en/zh)"
    )

"""The ``visinstruct`` command: one verb per stage, plus ``run``, ``status`` and ``init``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from visinstruct.cli._common import err, open_project, project_options, user_errors
from visinstruct.cli.captions import import_captions_cmd, ocr_cmd, ocr_step
from visinstruct.cli.collect import collect_group
from visinstruct.cli.cost import cost_group
from visinstruct.cli.dataset import dataset_group
from visinstruct.cli.datasets import import_dataset_cmd
from visinstruct.cli.demo import demo_cmd
from visinstruct.cli.explain import explain, print_explain
from visinstruct.cli.generation import import_generations_cmd
from visinstruct.cli.progress import RichProgress, counting_bar
from visinstruct.cli.review import review_group
from visinstruct.cli.seeds import seeds_group
from visinstruct.cli.verify import verify_cmd, verify_step
from visinstruct.config import (
    CONFIG_FILENAME,
    CONFIG_TEMPLATE,
    CONFIG_TEMPLATE_LOCAL,
    EXPORT_FORMATS,
    ModelSpec,
    ProjectConfig,
)
from visinstruct.config import load_config as _load_config
from visinstruct.executors import StageSummary
from visinstruct.export import ExportReport
from visinstruct.project import Project

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def _summary(summary: StageSummary) -> None:
    skipped = f", {summary.duplicates} already stored" if summary.duplicates else ""
    err.print(
        f"{summary.stage}: {summary.done} done, {summary.failed} failed this run "
        f"({summary.done_before} already done of {summary.total}){skipped}",
        highlight=False,
    )


def _generation_yield(project: Project) -> None:
    """Asked vs kept per kind, with the commonest refusal reasons."""
    for kind, row in project.generation_yield().items():
        if not isinstance(row, dict):
            continue
        reasons = "; ".join(f"{r} ×{n}" for r, n in row["top_reasons"].items())
        err.print(
            f"  {kind}: kept {row['kept']} of {row['asked']} asked"
            + (f", {row['refused']} refused ({reasons})" if row["refused"] else ""),
            highlight=False,
        )


def _run_model_stage(project: Project, stage: str, retry_failed: bool) -> StageSummary:
    bars = RichProgress(err)
    try:
        if stage == "caption":
            summary = project.caption(bars, retry_failed=retry_failed)
        else:
            summary = project.generate(bars, retry_failed=retry_failed)
    finally:
        bars.close()
    _summary(summary)
    if stage == "generate":
        _generation_yield(project)
    if summary.failed and not summary.done:
        last = project.last_failure(stage)
        raise click.ClickException(
            f"every {stage} unit tried in this run failed ({summary.failed}); last error: "
            f"{last or 'unknown'}. `visinstruct status` lists the failures; fix the cause and "
            f"run again (add --retry-failed for units that used up their attempts)."
        )
    return summary


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="visinstruct")
@click.option("--verbose", "-v", is_flag=True, help="Also log retries and other routine events.")
def main(verbose: bool) -> None:
    """Turn image collections into visual instruction-tuning data."""
    handler = RichHandler(console=err, show_time=False, show_path=False, markup=False)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[handler],
        force=True,
    )
    for noisy in ("httpx", "httpcore"):  # one line per request drowns the retries
        logging.getLogger(noisy).setLevel(logging.WARNING)


main.add_command(seeds_group)
main.add_command(collect_group)
main.add_command(demo_cmd)


@main.group("import")
def import_group() -> None:
    """Bring in what already exists: open datasets, captions, raw model outputs."""


import_group.add_command(import_dataset_cmd)
import_group.add_command(import_generations_cmd)
import_group.add_command(import_captions_cmd)
main.add_command(ocr_cmd)
main.add_command(cost_group)
main.add_command(verify_cmd)
main.add_command(review_group)
main.add_command(dataset_group)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--local", is_flag=True, help="Models on a local server (vLLM, Ollama): no rate limits."
)
def init(directory: Path, local: bool) -> None:
    """Create a project folder with a commented visinstruct.yaml."""
    with user_errors():
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / CONFIG_FILENAME
        if target.exists():
            raise click.ClickException(f"{target} already exists; edit it or pick another folder")
        target.write_text(CONFIG_TEMPLATE_LOCAL if local else CONFIG_TEMPLATE, encoding="utf-8")
        _load_config(target)  # the template must always load
        click.echo(f"Created {target}. Edit collect.path and the models, then: visinstruct run "
                   f"--config {target}")  # fmt: skip


def _apply_models(
    config: ProjectConfig, model: str | None, caption_model: str | None, generate_model: str | None
) -> None:
    for role, name in (
        ("captioner", caption_model or model),
        ("generator", generate_model or model),
    ):
        if not name:
            continue
        current: ModelSpec | None = getattr(config.models, role)
        spec = (
            ModelSpec(model=name) if current is None else current.model_copy(update={"model": name})
        )
        setattr(config.models, role, spec)


@main.command()
@click.argument("images_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "--project",
    "-p",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder to create or resume (with IMAGES_DIR).",
)
@click.option(  # the old spelling, kept working: --out names output folders elsewhere
    "--out", "-o", "out_alias", type=click.Path(file_okay=False, path_type=Path), hidden=True
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Run the project this config file describes.",
)
@click.option(
    "--model", help="Model for every role (endpoint from OPENAI_BASE_URL/OPENAI_API_KEY)."
)
@click.option("--caption-model", help="Model for captions (overrides --model).")
@click.option("--generate-model", help="Model for instruction generation (overrides --model).")
@click.option("--retry-failed", is_flag=True, help="Try again units that used up their attempts.")
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(EXPORT_FORMATS),
    help="Export format (repeatable; default: export.formats of the config).",
)
def run(
    images_dir: Path | None, out: Path | None, out_alias: Path | None, config_file: Path | None,
    model: str | None, caption_model: str | None, generate_model: str | None,
    retry_failed: bool, formats: tuple[str, ...],
) -> None:  # fmt: skip
    """Run every stage: collect, caption, generate, export. Rerun to resume."""
    out = out or out_alias
    with user_errors():
        if config_file is not None:
            project = Project.from_config_file(config_file)
        elif images_dir is not None and out is not None:
            existing = out / CONFIG_FILENAME
            config = _load_config(existing) if existing.exists() else ProjectConfig()
            config.collect.path = images_dir.resolve()
            project = Project(out, config)
        else:
            raise click.UsageError("give IMAGES_DIR with --project PROJECT_DIR, or --config FILE")
        _apply_models(project.config, model, caption_model, generate_model)
        with project, project.lock():
            project.config.models.get("captioner")
            project.config.models.get("generator")
            if config_file is None:
                project.save_config()
            with counting_bar(err, "collect") as tick:
                report = project.collect(on_item=tick)
            err.print(
                f"collect: {report.accepted} new images, {report.rejected} rejected, "
                f"{report.unchanged} unchanged",
                highlight=False,
            )
            if project.store.count_images() == 0:
                reasons = ", ".join(
                    f"{r} ×{n}" for r, n in project.store.rejection_counts().items()
                )
                raise click.ClickException(
                    f"no usable image to work on: {report.rejected} rejected"
                    + (f" ({reasons})" if reasons else "")
                    + "; `visinstruct status --rejected` lists them. Nothing was sent to a model."
                )
            ocr_step(project, err)
            _run_model_stage(project, "caption", retry_failed)
            _run_model_stage(project, "generate", retry_failed)
            verify_step(project, retry_failed)
            reports = project.export(formats)
            if not any(r.records for r in reports):
                raise click.ClickException(
                    "the run produced no instruction to export (see `visinstruct status`: "
                    "failed units, refusal reasons and what verification dropped)"
                )
            status = project.status()
            export_dir = project.config.export.dir
            print_explain(err, explain(project))
        _echo_reports(reports, export_dir)
        click.echo(f"Cost so far: ${status['cost_usd']:.4f} over {status['calls']['total']} calls")


@main.command()
@project_options
@click.option("--retry-failed", is_flag=True, help="Try again units that used up their attempts.")
def caption(project: Path, config_file: Path | None, retry_failed: bool) -> None:
    """Step (b): caption every collected image with the captioner model."""
    with user_errors(), open_project(project, config_file) as p, p.lock():
        _run_model_stage(p, "caption", retry_failed)


@main.command()
@project_options
@click.option("--retry-failed", is_flag=True, help="Try again units that used up their attempts.")
def generate(project: Path, config_file: Path | None, retry_failed: bool) -> None:
    """Step (d): generate instructions from every caption with the generator model."""
    with user_errors(), open_project(project, config_file) as p, p.lock():
        _run_model_stage(p, "generate", retry_failed)


def _echo_reports(reports: list[ExportReport], out_dir: Path) -> None:
    for r in reports:
        if r.skipped:
            click.echo(f"{r.format:<10} skipped: {r.skipped}")
        else:
            click.echo(
                f"{r.format:<10} {r.split:<10} {r.records:>7} records on {r.images:>6} images  "
                f"{r.path}"
            )
    if reports:
        click.echo(f"Dataset card: {out_dir.resolve() / 'README.md'}")


@main.command()
@project_options
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(EXPORT_FORMATS),
    help="Format to write (repeatable; default: export.formats of the config).",
)
@click.option("--all-formats", is_flag=True, help="Write every format.")
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: export.dir of the config).",
)
@click.option("--version", "version", help="A pinned dataset version (visinstruct dataset pin).")
def export(
    project: Path, config_file: Path | None, formats: tuple[str, ...], all_formats: bool,
    out: Path | None, version: str | None,
) -> None:  # fmt: skip
    """Write the current instructions in trainers' formats, with a dataset card."""
    with user_errors(), open_project(project, config_file) as p:
        chosen = EXPORT_FORMATS if all_formats else formats
        reports = p.export(chosen, out, version=version, skip_unavailable=all_formats)
        _echo_reports(reports, out or p.config.export.dir)


@main.command()
@project_options
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--version", "version", help="A pinned dataset version (visinstruct dataset pin).")
def stats(project: Path, config_file: Path | None, as_json: bool, version: str | None) -> None:
    """What the dataset holds: counts per domain, kind and language, balance, lengths, cost."""
    with user_errors(), open_project(project, config_file) as p:
        data = p.stats(version)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"{data['instructions']} instructions on {data['images']} images")
    for domain, kinds in data["by_domain"].items():
        cells = ", ".join(f"{k} {sum(v.values())}" for k, v in kinds.items())
        click.echo(f"  {domain}: {cells}")
    judge = data["answers"]["judgement"]
    ratio = judge.get("yes_ratio")
    click.echo(f"judgement Yes ratio: {'n/a (no judgement questions)' if ratio is None else ratio}")
    click.echo(f"cost: ${data['cost']['usd']:.4f} over {data['cost']['calls']} calls")


@main.command()
@project_options
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--rejected", "every_rejected", is_flag=True, help="List every rejected file.")
def status(project: Path, config_file: Path | None, as_json: bool, every_rejected: bool) -> None:
    """Units done / failed / pending per stage, calls, tokens and cost, and why anything was
    rejected or failed."""
    with user_errors(), open_project(project, config_file) as p:
        data = p.status()
        data["explain"] = explain(p, every_rejected=every_rejected)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"visinstruct project {data['project']}")
    for col in ("stage", "done", "failed", "pending"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for stage, row in data["stages"].items():
        table.add_row(stage, str(row["done"]), str(row["failed"]), str(row["pending"]))
    out = Console()
    out.print(table)
    if data.get("rejections"):
        rejected = Table(title="rejected at collect, by reason")
        rejected.add_column("reason")
        rejected.add_column("files", justify="right")
        for reason, n in data["rejections"].items():
            rejected.add_row(reason, str(n))
        out.print(rejected)
    print_explain(out, data["explain"], every_rejected=every_rejected)
    for kind, row in data.get("generation", {}).items():
        if isinstance(row, dict):
            reasons = "; ".join(f"{r} ×{n}" for r, n in row["top_reasons"].items())
            out.print(
                f"generate {kind}: kept {row['kept']} of {row['asked']} asked"
                + (f", {row['refused']} refused ({reasons})" if row["refused"] else ""),
                highlight=False,
            )
    for part in ("caption", "generate"):
        if part in data.get("stale", {}):
            out.print(f"stale: {data['stale'][part]['note']}", highlight=False)
    calls, tokens = data["calls"], data["tokens"]
    out.print(
        f"instructions: {data['instructions']}   calls: {calls['total']} "
        f"({calls['retries']} retried, {calls['errors']} errors)   tokens: {tokens['input']} in "
        f"/ {tokens['output']} out ({tokens['image']} image)   cost: ${data['cost_usd']:.4f}",
        highlight=False,
    )

"""``visinstruct demo``: build and run the offline demo project, then say what to do next."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from visinstruct.cli.progress import RichProgress
from visinstruct.demo import REAL_MODEL_LINE, run_demo
from visinstruct.errors import VisinstructError

__all__ = ["demo_cmd"]


@click.command("demo")
@click.option(
    "--project", "-p", "out", type=click.Path(file_okay=False, path_type=Path),
    default=Path("visinstruct-demo"), show_default=True,
    help="Folder for the demo project (created; rerunning resumes it).",
)  # fmt: skip
@click.option(  # the old spelling, kept working
    "--out", "-o", "out_alias", type=click.Path(file_okay=False, path_type=Path), hidden=True
)
def demo_cmd(out: Path, out_alias: Path | None) -> None:
    """Run the whole engine offline on sample photos, posters and charts: no model, no key."""
    out = out_alias or out
    err = Console(stderr=True)
    bars = RichProgress(err)
    try:
        report = run_demo(out, bars)
    except VisinstructError as exc:
        err.print(f"[red bold]error:[/] {escape(str(exc))}", highlight=False)
        raise SystemExit(2) from exc
    finally:
        bars.close()
    c = report.collected
    click.echo(f"collect: {c.accepted} new images, {c.rejected} rejected, {c.unchanged} unchanged")
    for stage in report.stages:
        click.echo(
            f"{stage.stage}: {stage.done} done, {stage.failed} failed "
            f"({stage.done_before} already done of {stage.total})"
        )
    click.echo(f"{report.instructions} instructions in {report.seconds:.1f} s, cost $0.00")
    click.echo("Exports:")
    for export in report.exports:
        click.echo(f"  {export.path}  ({export.records} records, {export.images} images)")
    click.echo(f"Project config: {report.config}")
    click.echo(
        "To use a real model instead, replace the generator line in that file with\n"
        f"{REAL_MODEL_LINE}\n"
        f"and run: visinstruct run --config {report.config}"
    )

"""``visinstruct verify``: score every instruction, flag the doubtful ones, print the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from visinstruct.cli._common import err, open_project, project_options, user_errors
from visinstruct.cli.progress import RichProgress
from visinstruct.config import ModelSpec
from visinstruct.project import Project
from visinstruct.verify import runs_in_run

__all__ = ["print_report", "verify_cmd", "verify_step"]


def _verify(project: Project, retry_failed: bool, report_json: Path | None) -> dict[str, Any]:
    bars = RichProgress(err)
    try:
        return project.verify(bars, retry_failed=retry_failed, report_json=report_json)
    finally:
        bars.close()


def _summary_line(report: dict[str, Any]) -> str:
    return (
        f"verify: {report['flagged']} of {report['instructions']} instructions flagged, "
        f"{report['dropped']} will be dropped from exports; "
        f"{report['balance']['multiple_choice']['moved']} multiple-choice answers reordered"
    )


def verify_step(project: Project, retry_failed: bool) -> None:
    """Verification inside ``run``, when ``verify.enabled`` says so (auto: a verifier model is
    configured)."""
    if runs_in_run(project.config):
        err.print(_summary_line(_verify(project, retry_failed, None)), highlight=False)


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


def print_report(report: dict[str, Any], out: Console) -> None:
    """The report as tables: checks, domains, kinds, balance, quotas, model stages."""
    checks = [
        [name, str(c["passed"]), str(c["flagged"]), str(c["dropped"]), str(c["off"])]
        for name, c in report["checks"].items()
    ]
    out.print(_table("checks", ["check", "passed", "flagged", "dropped", "off"], checks))
    for axis, title in (("by_domain", "domain"), ("by_kind", "kind")):
        rows = [
            [key, str(c.get("instructions", 0)), str(c.get("flagged", 0)), str(c.get("dropped", 0))]
            for key, c in report[axis].items()
        ]
        out.print(_table(f"per {title}", [title, "instructions", "flagged", "dropped"], rows))
    mc = report["balance"]["multiple_choice"]
    letters = (
        ["before", *mc["before"]["overall"].values()],
        ["after", *mc["after"]["overall"].values()],
    )
    out.print(
        _table(
            f"multiple-choice answer letters ({mc['moved']} reordered)",
            ["", *mc["before"]["overall"]],
            [[str(letters[0][0]), *(f"{v:.0%}" for v in letters[0][1:])],
             [str(letters[1][0]), *(f"{v:.0%}" for v in letters[1][1:])]],
        )
    )  # fmt: skip
    yes_no = [
        [d, str(r["items"]), f"{r['yes_share']:.0%}", f"{r['after']:.0%}",
         "yes" if r["skewed"] else "", "yes" if r["balanced"] else ""]
        for d, r in report["balance"]["yes_no"].items()
    ]  # fmt: skip
    columns = ["domain", "judgements", "Yes before", "Yes after", "skewed", "balanced"]
    out.print(_table("Yes/No per domain", columns, yes_no))
    quotas = report["quotas"]
    kind_rows = [
        [k, str(r["kept"]), f"{r['share']:.0%}", f"{r['target']:.0%}", "" if r["ok"] else "off"]
        for k, r in quotas["kinds"].items()
    ]
    out.print(_table("kinds against quotas", ["kind", "kept", "share", "target", ""], kind_rows))
    for domain, r in quotas["domains"].items():
        if not r["ok"]:
            out.print(f"domain {domain}: {r['kept']} kept, below the minimum {r['minimum']}")
    for stage, s in report["model_stages"].items():
        if "skipped" in s:
            out.print(f"{stage}: skipped ({s['skipped']})", highlight=False)
        else:
            out.print(
                f"{stage}: {s['done']} checked, {s['failed']} failed this run "
                f"({s['done_before']} already done of {s['total']})",
                highlight=False,
            )
    for note in report["notes"]:
        out.print(f"note: {note}", highlight=False)


@click.command("verify")
@project_options
@click.option("--model", help="Verifier model for this run (endpoint from OPENAI_BASE_URL).")
@click.option("--retry-failed", is_flag=True, help="Try again units that used up their attempts.")
@click.option(
    "--report-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the report (default: EXPORT_DIR/verify_report.json).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify_cmd(
    project: Path, config_file: Path | None, model: str | None, retry_failed: bool,
    report_json: Path | None, as_json: bool,
) -> None:  # fmt: skip
    """Score every instruction and flag the doubtful ones, so review goes where it is needed.

    Local checks, duplicates and answer balance always run; the model checks run with a
    verifier model (models.verifier, or --model).
    """
    with user_errors(), open_project(project, config_file) as p, p.lock():
        if model:
            current = p.config.models.verifier
            p.config.models.verifier = (
                ModelSpec(model=model)
                if current is None
                else current.model_copy(update={"model": model})
            )
        report = _verify(p, retry_failed, report_json)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    out = Console()
    print_report(report, out)
    out.print(_summary_line(report), highlight=False)

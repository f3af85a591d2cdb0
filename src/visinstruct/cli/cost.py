"""``visinstruct cost``: what the pending work will cost (``estimate``) and what the calls so far
did cost (``report``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import click
from rich.console import Console
from rich.table import Table

from visinstruct.caption import StageEstimate, estimate_caption
from visinstruct.caption.estimate import Counting
from visinstruct.cli._common import open_project, project_options, user_errors
from visinstruct.cli.review import print_cost_summary
from visinstruct.review import cost_summary

__all__ = ["cost_group"]


@click.group("cost")
def cost_group() -> None:
    """Cost before the run (estimate) and after it (report)."""


def _estimate_dict(e: StageEstimate) -> dict[str, Any]:
    return {
        "stage": e.stage,
        "model": e.model,
        "counting": e.counting,
        "units": e.units,
        "measured": e.measured,
        "input_tokens": e.input_tokens,
        "image_tokens": e.image_tokens,
        "output_tokens": e.output_tokens,
        "total_tokens": e.total_tokens,
        "cost_usd": round(e.cost_usd, 6),
        "notes": e.notes,
    }


@cost_group.command("estimate")
@project_options
@click.option(
    "--counting", type=click.Choice(["provider", "bytes"]), default="provider", show_default=True,
    help="provider: OpenAI's published token rules; bytes: request size / 4 (an upper bound).",
)  # fmt: skip
@click.option(
    "--output-tokens", type=click.IntRange(min=0),
    help="Expected output tokens per caption (default: the mean measured so far, else 300).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def estimate(
    project: Path, config_file: Path | None, counting: str, output_tokens: int | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Estimate the tokens and dollars of the pending caption calls, before making any."""
    with user_errors(), open_project(project, config_file) as p:
        estimates = [
            estimate_caption(
                p.store, p.config, counting=cast(Counting, counting), output_tokens=output_tokens
            )
        ]
    if as_json:
        click.echo(json.dumps([_estimate_dict(e) for e in estimates], indent=2))
        return
    table = Table(title="cost estimate (pending work, before any call)")
    for col in ("stage", "model", "units", "input tokens", "image", "output tokens", "USD"):
        table.add_column(col, justify="left" if col in ("stage", "model") else "right")
    for e in estimates:
        table.add_row(
            e.stage, e.model or "-", str(e.units), f"{e.input_tokens:,}",
            f"{e.image_tokens:,}" if e.counting == "provider" else "-",
            f"{e.output_tokens:,}", f"${e.cost_usd:.4f}",
        )  # fmt: skip
    out = Console()
    out.print(table)
    for e in estimates:
        for note in e.notes:
            out.print(f"{e.stage}: {note}", highlight=False)
    out.print(
        "Generation is estimated once captions exist. Quality-gate retries are extra.",
        highlight=False,
    )


@cost_group.command("report")
@project_options
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def report(project: Path, config_file: Path | None, as_json: bool) -> None:
    """Calls, tokens and dollars the call ledger recorded, per stage; then review time, cost
    per accepted instruction and the ratio to writing instructions by hand (JSON: "review")."""
    with user_errors(), open_project(project, config_file) as p:
        stages = p.store.call_stages()
        rows = {s: p.store.call_totals(s) for s in stages}
        summary = cost_summary(p.store, p.config)  # review time, accepted, manual baseline
    data = {
        s: {
            "calls": t.calls, "retries": t.retries, "errors": t.errors,
            "input_tokens": t.input_tokens, "output_tokens": t.output_tokens,
            "image_tokens": t.image_tokens, "cost_usd": round(t.cost_usd, 6),
        }
        for s, t in rows.items()
    }  # fmt: skip
    if as_json:
        click.echo(json.dumps({**data, "review": summary.as_dict()}, indent=2))
        return
    table = Table(title="cost report (call ledger)")
    for col in ("stage", "calls", "input tokens", "image", "output tokens", "USD"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for s, d in data.items():
        table.add_row(
            s, str(d["calls"]), f"{d['input_tokens']:,}", f"{d['image_tokens']:,}",
            f"{d['output_tokens']:,}", f"${d['cost_usd']:.4f}",
        )  # fmt: skip
    Console().print(table)
    print_cost_summary(summary)

"""``visinstruct review``: the review app (``serve``), its people (``add-reviewer``,
``list-reviewers``, ``remove-reviewer``, ``rotate-token``), the sampling plan (``plan``) and
what review found (``stats``)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any, cast

import click
from rich.console import Console
from rich.table import Table

from visinstruct.cli._common import err, open_project, project_options, user_errors
from visinstruct.errors import InputError
from visinstruct.review import (
    ROLES,
    CostSummary,
    Role,
    add_reviewer,
    agreement,
    build_sample_plan,
    estimate_error,
    remove_reviewer,
    rotate_token,
)

__all__ = ["print_cost_summary", "review_group"]

_HINT = "the review app needs the review extra: pip install 'visinstruct[review]'"


@click.group("review")
def review_group() -> None:
    """Manual correction (step f): the review web app, reviewers, sampling plan, figures."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@review_group.command("serve")
@project_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
def serve(project: Path, config_file: Path | None, host: str, port: int) -> None:
    """Serve the review app (localhost only unless --host says otherwise)."""
    with user_errors():
        try:
            import uvicorn

            from visinstruct.review.app import create_app
        except ImportError as exc:
            raise InputError(f"{_HINT} ({exc})") from exc
        with open_project(project, config_file) as p:
            root, config = p.root, p.config
            if not p.store.reviewers():
                raise InputError(
                    "no reviewers yet: add one with `visinstruct review add-reviewer NAME "
                    "--role admin`, then log in with the token it prints"
                )
        app = create_app(root, config)
    if not _is_loopback(host):
        err.print(
            f"[yellow]warning:[/] listening on {host}: tokens travel unencrypted over plain "
            "HTTP; put the app behind TLS (a reverse proxy) before exposing it",
            highlight=False,
        )
    shown = f"[{host}]" if ":" in host else host
    err.print(f"review app for {root} at http://{shown}:{port}/ (Ctrl-C stops)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@review_group.command("add-reviewer")
@project_options
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="reviewer", show_default=True)
def add_reviewer_cmd(project: Path, config_file: Path | None, name: str, role: str) -> None:
    """Add a reviewer and print their login token (shown once, stored only as a hash)."""
    with user_errors(), open_project(project, config_file) as p:
        token = add_reviewer(p.store, name, cast(Role, role))
    err.print(
        f"added {role} {name!r}. The token below is shown only this once; give it to them:",
        highlight=False,
    )
    click.echo(token)


@review_group.command("remove-reviewer")
@project_options
@click.argument("name")
def remove_reviewer_cmd(project: Path, config_file: Path | None, name: str) -> None:
    """Remove a reviewer: their token stops working and their open sessions end now (their
    audit trail stays)."""
    with user_errors(), open_project(project, config_file) as p:
        ended = remove_reviewer(p.store, name)
    err.print(f"removed reviewer {name!r}; {ended} open session(s) ended", highlight=False)


@review_group.command("rotate-token")
@project_options
@click.argument("name")
def rotate_token_cmd(project: Path, config_file: Path | None, name: str) -> None:
    """Give a reviewer a new token (printed once); the old one and their sessions end now."""
    with user_errors(), open_project(project, config_file) as p:
        token, ended = rotate_token(p.store, name)
    err.print(
        f"new token for {name!r}; the old one no longer works and {ended} open session(s) "
        "ended. The token below is shown only this once:",
        highlight=False,
    )
    click.echo(token)


@review_group.command("list-reviewers")
@project_options
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def list_reviewers(project: Path, config_file: Path | None, as_json: bool) -> None:
    """Reviewers, their roles, actions and hours (never their tokens)."""
    with user_errors(), open_project(project, config_file) as p:
        rows = p.store.reviewers()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="reviewers")
    for col in ("name", "role", "actions", "hours"):
        table.add_column(col, justify="right" if col in ("actions", "hours") else "left")
    for r in rows:
        table.add_row(r["name"], r["role"], str(r["actions"]), f"{r['seconds'] / 3600:.2f}")
    Console().print(table)


@review_group.command("plan")
@project_options
@click.option(
    "--rate", type=click.FloatRange(0, 1, min_open=True), help="Default: review.sample_rate."
)
@click.option("--seed", type=int, help="Default: review.sample_seed.")
def plan(project: Path, config_file: Path | None, rate: float | None, seed: int | None) -> None:
    """Make the sampling plan: every flagged instruction plus a stratified random sample."""
    with user_errors(), open_project(project, config_file) as p:
        r = p.config.review
        made = build_sample_plan(
            p.store, rate or r.sample_rate, r.sample_seed if seed is None else seed
        )
    err.print(
        f"sampling plan: {made.flagged} flagged + {made.sampled} sampled at "
        f"{made.rate:.1%} from {made.strata} strata (seed {made.seed}). Review them with "
        "the queue filter 'Sampling plan'.",
        highlight=False,
    )


@review_group.command("stats")
@project_options
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def stats(project: Path, config_file: Path | None, as_json: bool) -> None:
    """Review status counts, reviewer agreement and the estimated error rate."""
    with user_errors(), open_project(project, config_file) as p:
        data: dict[str, Any] = {
            "statuses": p.store.review_status_counts(),
            "review_hours": round(p.store.review_seconds() / 3600, 4),
            "agreement": agreement(p.store).as_dict(),
            "error_estimate": estimate_error(p.store).as_dict(),
        }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    out = Console()
    out.print("statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(data["statuses"].items())))
    out.print(f"review hours: {data['review_hours']:.2f}", highlight=False)
    a = data["agreement"]
    if a["pairs"]:
        out.print(
            f"agreement: {a['items']} items with 2+ reviewers, same status {a['exact']:.1%}"
            + (f", same keep/drop {a['keep_drop']:.1%}" if a["keep_drop"] is not None else ""),
            highlight=False,
        )
    else:
        out.print("agreement: no instruction has two reviewers yet", highlight=False)
    out.print(_error_line(data["error_estimate"]), highlight=False)


def _error_line(e: dict[str, Any]) -> str:
    if e["rate"] is None and e["sampled"] == 0:
        return "estimated error rate: no sampling plan yet; make one with `visinstruct review plan`"
    if e["rate"] is None:
        return (
            f"estimated error rate: none of the {e['sampled']} sampled instructions is reviewed "
            "yet (queue filter: Sampling plan = sample)"
        )
    return (
        f"estimated error rate of the unflagged data: {e['rate']:.1%} "
        f"(95% {e['low']:.1%}–{e['high']:.1%}) from {e['reviewed']} of {e['sampled']} sampled"
    )


def print_cost_summary(summary: CostSummary) -> None:
    """The review half of ``visinstruct cost report``: review time, cost per accepted
    instruction and the ratio to writing them by hand."""
    table = Table(title="cost per accepted instruction (model calls + review time)")
    table.add_column("item")
    table.add_column("value", justify="right")
    per = summary.cost_per_accepted_usd
    ratio = summary.ratio_to_manual
    e = summary.error
    rows = [
        ("model calls (all stages)", f"${summary.model_total_usd:.4f}"),
        ("review hours", f"{summary.review_hours:.2f} h"),
        (f"review cost at ${summary.hourly_rate_usd:g}/h", f"${summary.review_cost_usd:.4f}"),
        ("accepted instructions", f"{summary.accepted:,}"),
        ("  of which accepted or edited by reviewers", f"{summary.reviewed_kept:,}"),
        ("cost per accepted instruction", "-" if per is None else f"${per:.5f}"),
        (
            f"manual baseline ({summary.manual_minutes_per_instruction:g} min each)",
            f"${summary.manual_per_instruction_usd:.4f}",
        ),
        ("ratio to manual", "-" if not ratio else f"{ratio:.3f} (1/{1 / ratio:.1f})"),
        (
            "estimated error rate (sample)",
            "-" if e.rate is None or e.low is None or e.high is None
            else f"{e.rate:.1%} ({e.low:.1%}–{e.high:.1%}, n={e.reviewed})",
        ),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, value)
    out = Console()
    out.print(table)
    out.print(
        "Accepted = what the export keeps (review_status in "
        f"{', '.join(summary.accepted_statuses)}). Rates: review.hourly_rate_usd, "
        "review.manual_minutes_per_instruction.",
        highlight=False,
    )

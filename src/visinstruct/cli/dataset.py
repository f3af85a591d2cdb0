"""``visinstruct dataset``: pin the live dataset under a name, and list the pinned versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from visinstruct.cli._common import open_project, project_options, user_errors

__all__ = ["dataset_group"]


@click.group("dataset")
def dataset_group() -> None:
    """Named versions of the dataset, to export again later exactly as they were."""


@dataset_group.command("pin")
@click.argument("name")
@project_options
def pin_cmd(name: str, project: Path, config_file: Path | None) -> None:
    """Freeze the live dataset as NAME (its instructions, revisions, review states, verdicts)."""
    with user_errors(), open_project(project, config_file) as p:
        count = p.pin(name)
    click.echo(
        f"pinned {count} instructions as {name!r}; export them again with "
        f"`visinstruct export --version {name}`"
    )


@dataset_group.command("list")
@project_options
def list_cmd(project: Path, config_file: Path | None) -> None:
    """The pinned versions, oldest first."""
    with user_errors(), open_project(project, config_file) as p:
        versions = p.store.versions()
    if not versions:
        click.echo("no pinned versions yet: `visinstruct dataset pin NAME` makes one")
    for v in versions:
        when = dt.datetime.fromtimestamp(v["created_at"], dt.timezone.utc).strftime(
            "%Y-%m-%d %H:%M"
        )
        click.echo(f"{v['name']}\t{v['instructions']} instructions\tpinned {when} UTC")

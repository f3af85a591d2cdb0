"""What every command shares: the error console, error handling, and project options."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from visinstruct.config import CONFIG_FILENAME
from visinstruct.errors import CommitError, FatalModelError, VisinstructError
from visinstruct.project import Project

__all__ = ["err", "open_project", "project_options", "resume_hint", "user_errors"]

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True)


def resume_hint() -> str:
    """The command line that was run, to run again."""
    return "visinstruct " + " ".join(shlex.quote(a) for a in sys.argv[1:])


@contextmanager
def user_errors() -> Iterator[None]:
    """Our errors become one clear line and an exit code; Ctrl-C becomes a resume hint.

    Exit codes: 1 when every unit of a stage failed; 2 for a usage, config or input error; 3
    when a model endpoint refused the whole run (bad key, wrong URL); 4 when finished work could
    not be committed (it is done again by the next run); 130 on Ctrl-C. Messages are escaped,
    since they hold brackets that are not markup (``pip install 'visinstruct[ocr]'``).
    """
    try:
        yield
    except CommitError as exc:
        err.print(f"[red bold]stopped, not all stored:[/] {escape(str(exc))}", highlight=False)
        sys.exit(4)
    except FatalModelError as exc:
        err.print(f"[red bold]stopped:[/] {escape(str(exc))}", highlight=False)
        err.print(
            f"Finished units are saved. Fix the above, then resume with: {resume_hint()}",
            highlight=False,
        )
        sys.exit(3)
    except VisinstructError as exc:
        err.print(f"[red bold]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("\n[yellow]interrupted[/]: finished units are saved.")
        err.print(f"Resume with: {resume_hint()}", highlight=False)
        sys.exit(130)


def project_options(fn: F) -> F:
    """``--project`` and ``--config``, as every project command takes them."""
    fn = click.option(
        "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
        help=f"Project config file (default: PROJECT/{CONFIG_FILENAME}).",
    )(fn)  # fmt: skip
    fn = click.option(
        "--project", "-p", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
        show_default=True, help="Project folder.",
    )(fn)  # fmt: skip
    return fn


def open_project(project: Path, config_file: Path | None) -> Project:
    if config_file is not None:
        return Project.from_config_file(config_file)
    return Project.open(project)

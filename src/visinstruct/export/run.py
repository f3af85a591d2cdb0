"""One export run: every chosen format written into a fresh folder, then swapped into place.

Writing over the previous export file by file left its files beside the new ones (after a
split was added, the unsplit ``llava.json`` and ``-train.parquet`` stayed, and a loader taking
the folder trained on the test images), and a format failing half way left a card describing
files that were not there. So a run writes into ``.<name>.partial`` beside the export folder
and only a complete run replaces it (two renames), and the card lists exactly what is there.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from visinstruct.errors import InputError
from visinstruct.export.card import write_card
from visinstruct.export.internvl import write_internvl
from visinstruct.export.llava import ExportReport, write_llava
from visinstruct.export.lmms_eval import write_lmms_eval
from visinstruct.export.loading import load_section
from visinstruct.export.parquet import write_parquet
from visinstruct.export.sharegpt import write_sharegpt
from visinstruct.export.source import ExportSource
from visinstruct.export.stats import compute_stats
from visinstruct.export.vlmevalkit import NEEDS_TEST, write_vlmevalkit

__all__ = ["KEPT_FILES", "NEEDS_EXTRA", "NEEDS_SPLIT", "WRITERS", "write_export"]

WRITERS: dict[str, Callable[[ExportSource, Path], list[ExportReport]]] = {
    "llava": write_llava,
    "sharegpt": write_sharegpt,
    "internvl": write_internvl,
    "parquet": write_parquet,
    "vlmevalkit": write_vlmevalkit,
    "lmms_eval": write_lmms_eval,
}
NEEDS_SPLIT = {"vlmevalkit": "test", "lmms_eval": "test"}
"""Formats built from one held-out split only."""
KEPT_FILES = ("verify_report.json",)
"""Files other commands write into the export folder (``verify``): carried into the new one."""


def _check_ours(out: Path) -> None:
    """Refuse to replace a folder an export did not write: it may be anyone's files."""
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"{out} is a file; export into a folder")
    names = {p.name for p in out.iterdir()}
    if not names or "stats.json" in names or names <= set(KEPT_FILES):
        return
    shown = ", ".join(sorted(names)[:3])
    raise InputError(
        f"{out} holds files no export wrote ({shown}): export into an empty folder or one an "
        "earlier export wrote (an export replaces the whole folder)"
    )


NEEDS_EXTRA = {"parquet": ("pyarrow", "it needs pyarrow: pip install 'visinstruct[parquet]'")}
"""Formats written with an optional package: (module, what to install)."""


def _unavailable(source: ExportSource, formats: Sequence[str], out: Path) -> list[ExportReport]:
    """Reports for the formats this project or this installation cannot write, with why."""
    present = source.split_names() or ["train"]
    skipped = []
    for f in formats:
        if f in NEEDS_SPLIT and NEEDS_SPLIT[f] not in present:
            skipped.append(ExportReport(f, NEEDS_SPLIT[f], out, 0, 0, skipped=NEEDS_TEST))
        elif f in NEEDS_EXTRA and importlib.util.find_spec(NEEDS_EXTRA[f][0]) is None:
            skipped.append(ExportReport(f, "-", out, 0, 0, skipped=NEEDS_EXTRA[f][1]))
    return skipped


def _swap(tmp: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.previous")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def write_export(
    source: ExportSource, formats: Sequence[str], out: Path, *, skip_unavailable: bool = False
) -> list[ExportReport]:
    """Write ``formats`` and the card into ``out``, replacing what an earlier run left there.

    A format that needs a split the project does not have fails the run before anything is
    written, or, with ``skip_unavailable``, comes back as a report whose ``skipped`` says why.
    """
    out = out.resolve()
    skipped = _unavailable(source, formats, out)
    if skipped and not skip_unavailable:
        first = skipped[0]
        raise InputError(f"the {first.format} export cannot be written: {first.skipped}")
    _check_ours(out)
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    source.final_dir = out
    try:
        chosen = [f for f in formats if f not in {s.format for s in skipped}]
        reports = [r for fmt in chosen for r in WRITERS[fmt](source, tmp)]
        for name in KEPT_FILES:
            if (out / name).is_file():
                shutil.copy2(out / name, tmp / name)
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        name = source.config.export.dataset_name
        write_card(compute_stats(source), tmp, name, files, load_section(source, reports, tmp))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap(tmp, out)
    return [replace(r, path=out / r.path.relative_to(tmp)) for r in reports] + skipped

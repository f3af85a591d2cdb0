"""Imports of open-source datasets into the project's own records.

The paper grew its generated data with public datasets (science figures, charts, tables,
geometry, maps). An import turns such a dataset into the same :class:`ImageRecord` and
:class:`Instruction` records generation makes, with provenance ``import:<format>``, so expansion,
splits, stats and exports treat both alike. Reruns add nothing; a bad row is reported with its
file and row and the others still import.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from visinstruct.collect import domain_name
from visinstruct.errors import InputError
from visinstruct.expand.imports._base import Adapter
from visinstruct.expand.imports._images import IMPORTED_IMAGES_DIR
from visinstruct.expand.imports._run import IMPORT_STAGE, ImportReport, config_hash_of, run_import
from visinstruct.expand.imports.charts import DVQA, FigureQA
from visinstruct.expand.imports.generic import Columns, Generic, ImportMapping, load_mapping
from visinstruct.expand.imports.scienceqa import ScienceQA
from visinstruct.expand.imports.tabmwp import TabMWP
from visinstruct.store import Store

__all__ = [
    "FORMATS",
    "IMPORTED_IMAGES_DIR",
    "IMPORT_STAGE",
    "Adapter",
    "Columns",
    "ImportMapping",
    "ImportReport",
    "config_hash_of",
    "import_dataset",
    "load_mapping",
]

FORMATS: dict[str, Callable[[], Adapter]] = {
    "generic": Generic,
    "scienceqa": ScienceQA,
    "figureqa": FigureQA,
    "dvqa": DVQA,
    "tabmwp": TabMWP,
}


def import_dataset(
    store: Store,
    project_root: Path,
    path: Path,
    format: str = "generic",
    *,
    mapping: ImportMapping | None = None,
    domain: str | None = None,
    split: str | None = None,
    limit: int | None = None,
) -> ImportReport:
    """Import the dataset at ``path`` (a file or the format's folder) into ``store``.

    ``domain`` overrides the format's default domain (for ``generic``: rows' own domain
    column still wins). Rows already imported keep the domain they were imported with.
    Embedded image bytes are written under ``project_root / IMPORTED_IMAGES_DIR``.
    """
    if format not in FORMATS:
        raise InputError(f"unknown dataset format {format!r}; choose one of {', '.join(FORMATS)}")
    if mapping is not None and format != "generic":
        raise InputError(f"a column mapping applies to the generic format only, not {format}")
    adapter = Generic(mapping) if format == "generic" else FORMATS[format]()
    chosen = domain_name(domain) if domain else adapter.default_domain
    return run_import(
        store, Path(project_root), adapter, Path(path), domain=chosen, split=split, limit=limit
    )

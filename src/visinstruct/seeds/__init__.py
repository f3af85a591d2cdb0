"""The seed-question bank (engine step c): expert questions the generator imitates.

Seeds live per domain in ``<domain>.yaml`` files, one list per kind × language. The package
ships a bank for the 24 MMInstruct domains; a project overrides or extends it with files in its
``seeds/`` folder or in ``seeds.paths``. :func:`load_bank` reads the layers,
:class:`SeedSampler` picks seeds for each prompt, :func:`validate_path` checks files, and
:func:`import_reference` converts the MMInstruct reference engine's JSON seed files.
"""

from __future__ import annotations

from visinstruct.seeds.importer import ImportedFile, ImportReport, SkippedFile, import_reference
from visinstruct.seeds.loader import (
    PROJECT_SEEDS_DIR,
    SeedBank,
    load_bank,
    load_domain_file,
    shipped_bank_files,
    validate_shipped_bank,
)
from visinstruct.seeds.sample import SeedSampler
from visinstruct.seeds.schema import Domain, KindSeeds, Seeds
from visinstruct.seeds.validate import Problem, ValidationReport, validate_file, validate_path

__all__ = [
    "PROJECT_SEEDS_DIR",
    "Domain",
    "ImportReport",
    "ImportedFile",
    "KindSeeds",
    "Problem",
    "SeedBank",
    "SeedSampler",
    "Seeds",
    "SkippedFile",
    "ValidationReport",
    "import_reference",
    "load_bank",
    "load_domain_file",
    "shipped_bank_files",
    "validate_file",
    "validate_path",
    "validate_shipped_bank",
]

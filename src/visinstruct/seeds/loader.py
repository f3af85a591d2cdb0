"""Loading the seed bank: the shipped files, then the project's, then any extra paths.

Layering lets a user replace one shipped domain (or add a new one) by dropping a file with the
same ``domain`` into ``<project>/seeds/`` without copying the rest of the bank.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from visinstruct.errors import InputError
from visinstruct.records import Kind, Language
from visinstruct.seeds.schema import Domain
from visinstruct.seeds.validate import (
    SEED_SUFFIXES,
    Problem,
    ValidationReport,
    check_text,
    seed_files,
)

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

__all__ = [
    "PROJECT_SEEDS_DIR",
    "SeedBank",
    "load_bank",
    "load_domain_file",
    "shipped_bank_files",
    "validate_shipped_bank",
]

PROJECT_SEEDS_DIR = "seeds"
_MAX_REPORTED = 10


class SeedBank(BaseModel):
    """The domains in use, by name, and the file each one was read from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    domains: dict[str, Domain]
    sources: dict[str, str]

    def names(self) -> list[str]:
        """Domain names, sorted."""
        return sorted(self.domains)

    def domain(self, name: str) -> Domain:
        """The domain called ``name``; the error lists the known names and how to add one."""
        try:
            return self.domains[name]
        except KeyError:
            known = ", ".join(self.names()) or "(none)"
            raise InputError(
                f"no seed questions for domain {name!r}; add a seeds/{name}.yaml file to the "
                f"project (`visinstruct seeds list` shows what exists). Known domains: {known}"
            ) from None

    def questions(self, domain: str, kind: Kind, language: Language) -> list[str]:
        """The seed questions of one cell."""
        return self.domain(domain).questions(kind, language)

    def total(self) -> int:
        """All seed questions in the bank."""
        return sum(d.total() for d in self.domains.values())


def _raise_errors(problems: list[Problem], file: str) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return
    shown = "\n".join(str(p) for p in errors[:_MAX_REPORTED])
    more = len(errors) - _MAX_REPORTED
    tail = f"\n... and {more} more" if more > 0 else ""
    hint = f"\n(run `visinstruct seeds validate {file}` for the full list)"
    raise InputError(f"{shown}{tail}{hint}")


def _load_text(text: str, file: str, stem: str) -> Domain:
    domain, problems = check_text(text, file, stem)
    _raise_errors(problems, file)
    if domain is None:  # pragma: no cover - check_text reports an error whenever this is None
        raise InputError(f"{file}: not a seed file")
    return domain


def load_domain_file(path: str | Path) -> Domain:
    """Read one seed file; raise :class:`InputError` naming the file and entry of each error.

    Warnings (duplicates, misaligned translations) do not stop loading; ``validate`` shows them.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read seed file: {exc}") from exc
    return _load_text(text, str(path), path.stem)


def shipped_bank_files() -> list[Traversable]:
    """The seed files shipped inside the package, sorted by name."""
    folder = resources.files("visinstruct.seeds").joinpath("bank")
    if not folder.is_dir():
        return []
    found = [f for f in folder.iterdir() if f.is_file() and f.name.endswith(SEED_SUFFIXES)]
    return sorted(found, key=lambda f: f.name)


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


@lru_cache(maxsize=1)
def _shipped_domains() -> tuple[tuple[Domain, str], ...]:
    """The shipped domains, parsed once per process: package data does not change while running
    and checking 24 files costs a noticeable fraction of a second."""
    out = []
    for shipped in shipped_bank_files():
        text = shipped.read_text(encoding="utf-8")
        out.append((_load_text(text, str(shipped), _stem(shipped.name)), str(shipped)))
    return tuple(out)


def _user_files(path: Path) -> list[Path]:
    if not path.exists():
        raise InputError(f"{path}: no such seed file or folder (check seeds.paths)")
    return seed_files(path) if path.is_dir() else [path]


def load_bank(
    extra_paths: Iterable[str | Path] = (), project_dir: str | Path | None = None
) -> SeedBank:
    """The shipped bank, overlaid by ``<project_dir>/seeds/`` and then by ``extra_paths``.

    A later file whose ``domain`` is already loaded replaces the earlier one entirely (not
    cell by cell), so what a file says is exactly what the generator sees for that domain.
    """
    domains: dict[str, Domain] = {}
    sources: dict[str, str] = {}

    def add(domain: Domain, source: str) -> None:
        domains[domain.domain] = domain
        sources[domain.domain] = source

    for domain, source in _shipped_domains():
        add(domain, source)
    layers: list[Path] = []
    if project_dir is not None:
        project_seeds = Path(project_dir) / PROJECT_SEEDS_DIR
        if project_seeds.is_dir():
            layers.append(project_seeds)
    layers.extend(Path(p) for p in extra_paths)
    for layer in layers:
        for file in _user_files(layer):
            add(load_domain_file(file), str(file))
    return SeedBank(domains=domains, sources=sources)


def validate_shipped_bank() -> ValidationReport:
    """Validate the files shipped in the package (what ``seeds validate`` checks by default)."""
    report = ValidationReport()
    for shipped in shipped_bank_files():
        report.files.append(str(shipped))
        text = shipped.read_text(encoding="utf-8")
        domain, problems = check_text(text, str(shipped), _stem(shipped.name))
        report.problems.extend(problems)
        report.seeds += domain.total() if domain is not None else 0
    if not report.files:
        msg = "no seed files are shipped; the package was installed without its data"
        report.problems.append(Problem("visinstruct/seeds/bank", "(folder)", msg, "empty"))
    return report

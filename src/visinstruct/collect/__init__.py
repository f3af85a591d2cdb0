"""Step (a): bring images into the project, checked and labelled with their domain."""

from __future__ import annotations

from visinstruct.collect.folder import (
    CollectReport,
    admit_image,
    collect_folder,
    domain_name,
    inspect_image,
    walk_folder,
)

__all__ = [
    "CollectReport",
    "admit_image",
    "collect_folder",
    "domain_name",
    "inspect_image",
    "walk_folder",
]

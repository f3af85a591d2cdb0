"""Step (a): bring images into the project, checked, deduplicated and labelled with their domain.

Sources (``sources``) stream candidates; the pipeline (``pipeline``) checks each one
(``checks``), drops exact duplicates, stores the rest and then runs the near-duplicate pass
(``dedup``, ``phash``). ``run`` wires a project's config to it; ``retrieval`` adds the pool
images nearest to seed images; ``download`` is the guarded HTTP fetcher.
"""

from __future__ import annotations

from visinstruct.collect.checks import CheckLimits, inspect_bytes
from visinstruct.collect.folder import (
    admit_image,
    collect_folder,
    domain_name,
    inspect_image,
    walk_folder,
)
from visinstruct.collect.manifest import collect_manifest, read_manifest
from visinstruct.collect.pipeline import Collector, CollectSettings
from visinstruct.collect.report import Cluster, CollectReport
from visinstruct.collect.run import ExpandRequest, Sources

__all__ = [
    "CheckLimits",
    "Cluster",
    "CollectReport",
    "CollectSettings",
    "Collector",
    "ExpandRequest",
    "Sources",
    "admit_image",
    "collect_folder",
    "collect_manifest",
    "domain_name",
    "inspect_bytes",
    "inspect_image",
    "read_manifest",
    "walk_folder",
]

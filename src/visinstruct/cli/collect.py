"""``visinstruct collect``: step (a), from any source, and ``collect expand`` (retrieval)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from visinstruct.cli._common import err, open_project, project_options, user_errors
from visinstruct.cli.progress import counting_bar
from visinstruct.collect import CollectReport
from visinstruct.collect.domains import known_domains
from visinstruct.collect.run import ExpandRequest, Sources

__all__ = ["collect_group", "echo_collect_report"]

_FILE = click.Path(dir_okay=False, exists=True, path_type=Path)
_MAX_CLUSTERS_SHOWN = 10


def echo_collect_report(report: CollectReport) -> None:
    """The run's counts, rejection reasons, conversions, clusters and unknown domains."""
    moved = f", {report.moved} moved (same bytes, new path)" if report.moved else ""
    click.echo(
        f"{report.accepted} new images, {report.rejected} rejected, {report.unchanged} unchanged"
        + moved
    )
    for reason, n in sorted(report.reasons.items(), key=lambda r: (-r[1], r[0])):
        click.echo(f"  rejected {n}: {reason}")
    for note, n in sorted(report.notes.items()):
        click.echo(f"  read {n}: {note}")
    if report.clusters:
        click.echo(f"near-duplicate clusters this run: {len(report.clusters)} (kept ← duplicates)")
        for cluster in report.clusters[:_MAX_CLUSTERS_SHOWN]:
            dups = ", ".join(f"{Path(p).name} (d={d})" for p, d in cluster.duplicates)
            click.echo(f"  {cluster.kept} ← {dups}")
        if len(report.clusters) > _MAX_CLUSTERS_SHOWN:
            click.echo(f"  … {len(report.clusters) - _MAX_CLUSTERS_SHOWN} more in the report")
    if report.unknown_domains:
        names = ", ".join(report.unknown_domains)
        err.print(
            f"note: domains not in the seed bank ({len(known_domains())} known): {escape(names)}"
            " — add seed questions for them (visinstruct seeds import) or fix the name",
            highlight=False,
        )
    if report.report_path is not None:
        click.echo(f"report: {report.report_path}")


@click.group("collect", invoke_without_command=True)
@project_options
@click.option(
    "--path",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder of images (sub-folder = domain).",
)
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=_FILE,
    help="JSONL or CSV manifest of images (paths or URLs) and what is known of them.",
)
@click.option("--urls", "urls", multiple=True, type=_FILE, help="A file of image URLs, one a line.")
@click.option("--webdataset", multiple=True, type=_FILE, help="A WebDataset tar shard.")
@click.option("--parquet", multiple=True, type=_FILE, help="A parquet file with image bytes.")
@click.pass_context
def collect_group(
    ctx: click.Context,
    project: Path,
    config_file: Path | None,
    folder: Path | None,
    manifests: tuple[Path, ...],
    urls: tuple[Path, ...],
    webdataset: tuple[Path, ...],
    parquet: tuple[Path, ...],
) -> None:
    """Step (a): collect images into the project, checked and deduplicated.

    With no source option, the sources under ``collect:`` in the config are collected.
    Rejected files are recorded with the reason (see `visinstruct status`).
    """
    ctx.obj = (project, config_file)
    if ctx.invoked_subcommand is not None:
        return
    sources = Sources(folder, list(manifests), list(urls), list(webdataset), list(parquet))
    with (
        user_errors(),
        open_project(project, config_file) as p,
        p.lock(),
        counting_bar(err, "collect") as tick,
    ):
        report = p.collect(sources, on_item=tick)
    echo_collect_report(report)


@collect_group.command("expand")
@click.option(
    "--seeds",
    required=True,
    type=_FILE,
    help="JSONL/CSV of seed images: ref (a path or URL of the pool) and domain.",
)
@click.option(
    "--pool",
    required=True,
    type=_FILE,
    help="Candidate pool: parquet (embedding + url/path columns) or .npy.",
)
@click.option("--pool-refs", type=_FILE, help="For a .npy pool: its paths/URLs, one a line.")
@click.option("--seed-embeddings", type=_FILE, help=".npy of seed embeddings (seed file order).")
@click.option(
    "-k",
    "k",
    default=20,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Nearest pool images per seed.",
)
@click.option(
    "--min-similarity",
    default=0.8,
    show_default=True,
    type=click.FloatRange(-1, 1),
    help="Cosine similarity a pool image needs.",
)
@click.option(
    "--index",
    type=click.Choice(["auto", "exact", "faiss"]),
    default="auto",
    show_default=True,
    help="exact (numpy) or faiss; auto: faiss when installed.",
)
@click.pass_obj
def expand_cmd(
    obj: tuple[Path, Path | None],
    seeds: Path,
    pool: Path,
    pool_refs: Path | None,
    seed_embeddings: Path | None,
    k: int,
    min_similarity: float,
    index: str,
) -> None:
    """Retrieval expansion: add each seed's nearest pool images to the seed's domain."""
    project, config_file = obj
    request = ExpandRequest(
        seeds=seeds,
        pool=pool,
        pool_refs=pool_refs,
        seed_embeddings=seed_embeddings,
        k=k,
        threshold=min_similarity,
        index=index,  # type: ignore[arg-type]
    )
    with user_errors(), open_project(project, config_file) as p, p.lock():
        report = p.expand_collection(request)
    echo_collect_report(report)

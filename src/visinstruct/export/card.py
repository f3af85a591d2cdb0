"""The dataset card: ``README.md`` in the export folder, with its plots as PNG files.

Every figure in the card comes from the stats dict that ``visinstruct stats --json`` prints,
which is also saved beside it as ``stats.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from visinstruct.export._io import atomic_file, write_json
from visinstruct.records import KINDS

__all__ = ["PLOTS", "write_card"]

PLOTS = ("domains_by_kind.png", "answer_lengths.png", "cost_by_stage.png")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _plots(stats: dict[str, Any], out_dir: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    domains = list(stats["by_domain"])
    fig, ax = plt.subplots(figsize=(8, max(3, 0.35 * len(domains) + 1)))
    left = [0] * len(domains)
    for kind in KINDS:
        widths = [sum(stats["by_domain"][d].get(kind, {}).values()) for d in domains]
        ax.barh(domains, widths, left=left, label=kind)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlabel("instructions")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    fig.savefig(out_dir / PLOTS[0], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    for kind in KINDS:
        hist = stats["lengths"]["answer"][kind]["histogram"]
        if hist:
            ax.plot([h["from"] for h in hist], [h["count"] for h in hist], marker="o", label=kind)
    ax.set_xscale("symlog")
    ax.set_xlabel("answer length (characters, bin start)")
    ax.set_ylabel("instructions")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out_dir / PLOTS[1], dpi=100)
    plt.close(fig)

    stages = stats["cost"]["stages"]
    fig, ax = plt.subplots(figsize=(6, 3))
    usd = [s["usd"] for s in stages.values()]
    ax.bar(list(stages) or ["(no calls)"], usd or [0])
    ax.set_ylabel("USD")
    if not any(usd):  # all free: an axis from 0, not matplotlib's ±0.05 around zero
        ax.set_ylim(0, 1)
        ax.set_title("no paid calls ($0)")
    fig.tight_layout()
    fig.savefig(out_dir / PLOTS[2], dpi=100)
    plt.close(fig)
    return list(PLOTS)


def _templates(figures: dict[str, Any] | None) -> str:
    if figures is None:
        return (
            "Not known: the generator does not record which question template made each "
            "instruction (only projects made by the offline `template` backend can tell)."
        )
    yes = figures["yes_share"]
    shares = (
        f"{yes['min']:.0%}–{yes['max']:.0%} over {len(yes['by_template'])} judgement templates"
        if yes["min"] is not None
        else "no judgements"
    )
    share = figures["global_share"]
    text = (
        f"Made by the `template` backend: {figures['templates']} distinct question templates "
        f"over {figures['items']} instructions. Yes share per judgement template: {shares}. "
        "Questions only about the whole picture's look (format, colours, brightness, "
        f"sharpness): {'n/a' if share is None else f'{share:.0%}'}."
    )
    if figures["unmatched"]:
        text += f" {figures['unmatched']} instructions (edited since) match no template."
    return text


def _body(stats: dict[str, Any], name: str, files: list[str], plots: list[str], load: str) -> str:
    rows = []
    for domain, kinds in stats["by_domain"].items():
        cells = [sum(kinds.get(k, {}).values()) for k in KINDS]
        rows.append([domain, *cells, sum(cells)])
    judge = stats["answers"]["judgement"]
    letters = stats["answers"]["multiple_choice"]
    lengths = [
        [k, v["count"], v["mean"], v["p50"], v["p90"], v["max"]]
        for k, v in stats["lengths"]["answer"].items()
    ]
    cost = stats["cost"]
    parts = [
        f"# {name}",
        "Visual instruction-tuning data made with visinstruct.",
        f"**{stats['instructions']} instructions on {stats['images']} images.** "
        + "Images per split: "
        + ", ".join(f"{s} {n}" for s, n in stats["splits"].items()),
        "## Instructions per domain and kind",
        _table(["domain", *KINDS, "total"], rows),
        "## Answer balance",
        f"Judgement: {judge.get('yes', 0)} Yes, {judge.get('no', 0)} No "
        f"(Yes ratio {_ratio(judge.get('yes_ratio'))}). Multiple-choice answer letters: "
        + (", ".join(f"{k} {v}" for k, v in letters.items()) or "none"),
        "## Question templates",
        _templates(stats.get("templates")),
        "## Answer lengths (characters)",
        _table(["kind", "count", "mean", "p50", "p90", "max"], lengths),
        "## Review and verification",
        f"Instructions in scope: {stats['review']['in_scope']}; by review status: "
        + ", ".join(f"{k} {v}" for k, v in stats["review"]["by_status"].items())
        + f". Verified: {stats['verification']['checked']}, failed a check: "
        f"{stats['verification']['failed']}.",
        "## Cost",
        _table(
            ["stage", "calls", "input tokens", "output tokens", "USD"],
            [
                [s, v["calls"], v["input_tokens"], v["output_tokens"], v["usd"]]
                for s, v in cost["stages"].items()
            ],
        )
        + f"\n\nTotal: {cost['calls']} calls, ${cost['usd']}.",
        "## Load it",
        load or "See the files below.",
        "## Files",
        "\n".join(f"- `{f}`" for f in sorted({*files, "stats.json", *plots})),
    ]
    if plots:
        parts += ["## Plots", "\n".join(f"![{p[:-4]}]({p})" for p in plots)]
    else:
        parts += ["Plots need matplotlib: `pip install 'visinstruct[card]'`."]
    return "\n\n".join(parts) + "\n"


def _ratio(value: float | None) -> str:
    return "n/a (no judgement questions)" if value is None else str(value)


def write_card(
    stats: dict[str, Any], out_dir: Path, name: str, files: list[str], load: str = ""
) -> Path:
    """The card and its plots; ``files`` are the data files beside it, ``load`` the section
    that says how each trainer reads them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "stats.json", stats)
    plots = _plots(stats, out_dir)
    path = out_dir / "README.md"
    with atomic_file(path) as out:
        out.write(_body(stats, name, files, plots, load))
    return path

"""The suite's figures per task: each model's main metric over seeds, the oracle's share on synthetic
tasks, and the markdown table docs/benchmarks.md shows.

A model's "share" is (AUROC - 0.5) / (oracle AUROC - 0.5) on the same split: 1 is the best the data
allows, 0 is chance. "relpool" is what ``relpool fit`` reports as its model (the chosen candidate
once fit selects among candidates).
"""

from __future__ import annotations

import statistics

from relpool.tasks.base import is_better

BASELINES = ("entity", "autofeat")
MAIN = "relpool"


def spread(values: list[float]) -> dict:
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def summarise(entry: dict) -> dict:
    """Mean and spread over the task's finished runs of every model's val and test, seconds and memory."""
    runs = [r for r in entry["runs"].values() if "error" not in r]
    if not runs:
        return {}
    metric = runs[0]["metric"]
    names = sorted({name for r in runs for name in r["models"]}, key=lambda n: (n != MAIN, n in BASELINES, n))
    models = {}
    for name in names:
        scored = [r["models"][name] for r in runs if name in r["models"]]
        models[name] = {
            split: spread([m[split] for m in scored if m.get(split) is not None])
            for split in ("val", "test")
            if any(m.get(split) is not None for m in scored)
        }
        oracle = entry.get("oracle")
        if oracle and metric == "auroc":
            models[name]["share"] = {
                split: spread([(m[split] - 0.5) / (oracle[f"{split}_auroc"] - 0.5) for m in scored])
                for split in ("val", "test")
                if all(m.get(split) is not None for m in scored)
            }
    out: dict = {
        "metric": metric,
        "models": models,
        "chosen": sorted({r["chosen"] for r in runs if r.get("chosen")}),
        "wall_seconds": spread([r["wall_seconds"] for r in runs]),
        "peak_rss_mib": spread([r["peak_rss_mib"] for r in runs]),
    }
    baselines = [b for b in BASELINES if "val" in models.get(b, {})]
    if MAIN in models and baselines and "test" in models[MAIN]:
        strongest = baselines[0]
        for b in baselines[1:]:
            if is_better(metric, models[b]["val"]["mean"], models[strongest]["val"]["mean"]):
                strongest = b
        out["strongest_baseline"] = strongest  # by mean validation score, as a user would pick it
        out["beats_strongest_baseline"] = is_better(
            metric, models[MAIN]["test"]["mean"], models[strongest]["test"]["mean"]
        )
    return out


def _cell(models: dict, name: str, split: str) -> str:
    figure = models.get(name, {}).get(split)
    return "–" if figure is None else f"{figure['mean']:.4f} ± {figure['std']:.4f}"


def markdown(result: dict) -> str:
    """One row per task: val / test mean ± std over seeds per model, oracle share, seconds and peak MiB."""
    lines = [
        "| task | metric | entity | entity val / test | autofeat val / test | relpool val / test | chosen "
        "| oracle (test) | share of oracle, test: autofeat / relpool | s per fit | peak MiB |",
        "|---|---|---|---|---|---|---|---:|---:|---:|---:|",
    ]
    for name, entry in result["tasks"].items():
        summary = entry.get("summary") or {}
        if not summary:
            lines.append(f"| {name} | – | {entry['entity']} | failed | | | | | | | |")
            continue
        models = summary["models"]
        oracle = entry.get("oracle")
        shares = [models.get(m, {}).get("share", {}).get("test") for m in ("autofeat", MAIN)]
        row = [
            name,
            summary["metric"] + (" ↓" if is_better(summary["metric"], 0.0, 1.0) else ""),
            entry["entity"],
            *(f"{_cell(models, m, 'val')} / {_cell(models, m, 'test')}" for m in (*BASELINES, MAIN)),
            ", ".join(summary["chosen"]) or "–",
            f"{oracle['test_auroc']:.4f}" if oracle else "–",
            " / ".join("–" if f is None else f"{f['mean']:.2f} ± {f['std']:.2f}" for f in shares) if oracle else "–",
            f"{summary['wall_seconds']['mean']:.0f}",
            f"{summary['peak_rss_mib']['max']:.0f}",
        ]
        lines.append("| " + " | ".join(row) + " |")
    seeds = sorted({s for e in result["tasks"].values() for s in e["runs"]})
    lines.append("")
    lines.append(
        f"Mean ± standard deviation over seeds {', '.join(seeds)}; ↓: lower is better; s per fit is the whole "
        "`relpool fit` (GNN, both baselines, report), peak MiB the largest of its runs."
    )
    return "\n".join(lines)

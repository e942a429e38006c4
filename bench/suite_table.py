"""The suite's figures per task: each model's main metric over seeds, the oracle's share on synthetic
tasks, and the markdown table docs/benchmarks.md shows.

A model's "share" is (AUROC - 0.5) / (oracle AUROC - 0.5) on the same split: 1 is the best the data
allows, 0 is chance. "network" is the GNN fit trained (the hybrid one by default); "relpool" is the model
``relpool fit`` serves: the one its metrics.json names as chosen when fit compared the blend or served another
network (an ensemble, a candidate). Runs recorded before fit compared the baselines carry every candidate's
scores, and fit's rule (the best on validation among the network and the servable baselines, ties keeping
the network) picks their served model here.
"""

from __future__ import annotations

import statistics

from relpool.tasks.base import is_better

BASELINES = ("entity", "autofeat")
MAIN = "relpool"
NETWORK = "network"


def network_scores(run: dict) -> dict:
    """The trained network's scores: its candidate entry, or (runs before candidates) the main model's."""
    models = run["models"]
    return next((models[f"candidate:{n}"] for n in ("hybrid", "gnn") if f"candidate:{n}" in models), models[MAIN])


def served(run: dict, kind: str) -> tuple[str, dict]:
    """The name and scores of the model fit serves for ``run``: the one fit chose (a network, a baseline, the
    blend) when it recorded its choice, else its network or a baseline better on validation."""
    if run.get("chosen") not in (None, "hybrid", "gnn") or "candidate:blend" in run["models"]:
        return run["chosen"], run["models"][MAIN]  # fit compared more than this rule knows (the blend, an ensemble)
    candidates = {NETWORK: network_scores(run)}
    if kind != "link":
        candidates |= {b: run["models"][b] for b in BASELINES if b in run["models"]}
    best = NETWORK
    for name, scores in candidates.items():
        if scores.get("val") is None:
            continue
        if candidates[best].get("val") is None or is_better(run["metric"], scores["val"], candidates[best]["val"]):
            best = name
    return best, candidates[best]


def with_served(run: dict, kind: str) -> dict:
    """``run`` with its network under :data:`NETWORK` and the model fit serves under :data:`MAIN`."""
    name, scores = served(run, kind)
    return {**run, "chosen": name, "models": {**run["models"], NETWORK: network_scores(run), MAIN: scores}}


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
    runs = [with_served(r, entry["kind"]) for r in entry["runs"].values() if "error" not in r]
    if not runs:
        return {}
    metric = runs[0]["metric"]
    shown = {MAIN, NETWORK, *BASELINES}
    names = sorted({n for r in runs for n in r["models"] if n in shown}, key=lambda n: (n != MAIN, n in BASELINES, n))
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
        "chosen": {c: sum(r["chosen"] == c for r in runs) for c in sorted({r["chosen"] for r in runs})},
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
        "| task | metric | entity | entity val / test | autofeat val / test | hybrid GNN val / test "
        "| relpool (served) val / test | served | oracle (test) | share of oracle, test: autofeat / relpool "
        "| s per fit | peak MiB |",
        "|---|---|---|---|---|---|---|---|---:|---:|---:|---:|",
    ]
    for name, entry in result["tasks"].items():
        summary = summarise(entry)  # from the runs, so a file written by an older suite.py reads the same
        if not summary:
            lines.append(f"| {name} | – | {entry['entity']} | failed | | | | | | | | |")
            continue
        models = summary["models"]
        oracle = entry.get("oracle")
        shares = [models.get(m, {}).get("share", {}).get("test") for m in ("autofeat", MAIN)]
        row = [
            name,
            summary["metric"] + (" ↓" if is_better(summary["metric"], 0.0, 1.0) else ""),
            entry["entity"],
            *(f"{_cell(models, m, 'val')} / {_cell(models, m, 'test')}" for m in (*BASELINES, NETWORK, MAIN)),
            ", ".join(f"{c} ×{n}" for c, n in summary["chosen"].items()) or "–",
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

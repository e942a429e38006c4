"""The blend candidate in a suite run: per task, the blend, autofeat and network's val/test (mean ± sd over
seeds), how often the blend was served, and the served model's gain over the best baseline chosen by val.

Reads a results file ``bench/suite.py`` wrote (its models "relpool" (served), "entity", "autofeat",
"candidate:hybrid" or "candidate:gnn" (the network), "candidate:blend"). The gain is on test, in AUROC points
(binary) or % of the baseline's MAE (regression, positive: lower MAE), of the served model and, for
comparison, of the model served without the blend (the best on val of the network and the baselines).

    python bench/suite_blend.py --results suite_blend
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
BASELINES = ("entity", "autofeat")


def _network(models: dict) -> str:
    return next(n for n in ("candidate:hybrid", "candidate:gnn") if n in models)


def _best(models: dict, names, lower: bool) -> str:
    scored = [n for n in names if models[n]["val"] is not None]
    return sorted(scored, key=lambda n: models[n]["val"], reverse=not lower)[0]


def _gain(served: float, baseline: float, lower: bool) -> float:
    return 100 * (baseline - served) / baseline if lower else 100 * (served - baseline)


def _cell(values: list[float]) -> str:
    if not values:
        return "n/a"
    spread = f" ± {statistics.stdev(values):.4f}" if len(values) > 1 else ""
    return f"{statistics.mean(values):.4f}{spread}"


def summary(tasks: dict) -> tuple[list[str], dict]:
    """Markdown rows, one per task, and the mean gains by metric."""
    rows, gains = [], {}
    for name, task in tasks.items():
        runs = [r for r in task["runs"].values() if "models" in r and "candidate:blend" in r["models"]]
        if not runs:
            continue
        lower = runs[0]["metric"] == "mae"
        network = _network(runs[0]["models"])
        cells = []
        for model in ("candidate:blend", "autofeat", network):
            for split in ("val", "test"):
                cells.append(_cell([r["models"][model][split] for r in runs if r["models"][model][split] is not None]))
        served, without = [], []
        for r in runs:
            models = r["models"]
            baseline = models[_best(models, BASELINES, lower)]["test"]
            served.append(_gain(models["relpool"]["test"], baseline, lower))
            plain = models[_best(models, (network, *BASELINES), lower)]["test"]
            without.append(_gain(plain, baseline, lower))
        chosen = sum(r["chosen"] == "blend" for r in runs)
        gains.setdefault(runs[0]["metric"], []).append((statistics.mean(served), statistics.mean(without)))
        rows.append(
            f"| {name} | {runs[0]['metric']} | "
            + " | ".join(cells)
            + f" | {chosen}/{len(runs)} | {statistics.mean(served):+.2f} | {statistics.mean(without):+.2f} |"
        )
    return rows, gains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="suite_blend")
    args = parser.parse_args()
    data = json.loads((RESULTS / f"{args.results}.json").read_text())
    rows, gains = summary(data["tasks"])
    print(
        "| task | metric | blend val | blend test | autofeat val | autofeat test | network val | network test "
        "| blend served | gain served | gain without blend |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    for metric, pairs in gains.items():
        unit = "% MAE" if metric == "mae" else "AUROC points"
        print(
            f"\nmean over {len(pairs)} {metric} tasks: served {statistics.mean(p[0] for p in pairs):+.2f} {unit}, "
            f"without the blend {statistics.mean(p[1] for p in pairs):+.2f}"
        )


if __name__ == "__main__":
    main()

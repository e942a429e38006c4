"""Relational noise robustness: AUROC vs the signal fraction S of a synthetic shop, per pooling operator.

For each S a database is drawn with the same seed (so the same customers, latent states and labels;
only the fraction of transactions that carries the signal changes), then the relpool GNN is fitted
with each pooling operator, and both baselines run, all on the query truth.json gives. The oracle
is the generator's Bayes-optimal score on the same test examples. The figure of merit is the share
of AUROC above 0.5 kept from the largest S to the smallest; beside it, how fast each GNN learns: the
first epoch whose validation AUROC comes within LEARNED_WITHIN of the oracle's. Writes
bench/results/relational_snr.json and docs/relational_snr.png; another --seed (a repeat, to see how
much one seed decides) writes bench/results/relational_snr_seed<N>.json instead, and no plot.

    python bench/relational_snr.py                        # the sizes recorded in the JSON
    python bench/relational_snr.py --entities 300 --snrs 0.5,0.05 --pools mean,adaptive --epochs 1
    python bench/relational_snr.py --report-only          # summary, plot and table from the JSON
    python bench/relational_snr.py --snrs 0.02 --seed 1   # a repeat of the hardest case

A POOL ``adaptive+identity`` fits with ``--pool-option init=identity``. ``--families`` sweeps synth families (``relational_snr_families.py``) and records them under ``families``;
the full sweep of issue 18 is one command (S down to 0.01 needs 50 rows a week for one signal row):

    python bench/relational_snr.py --families signal,affinity,sizes,affinity_sizes \
        --snrs 0.5,0.2,0.1,0.05,0.02,0.01 --pools adaptive,mean,sum,max --seeds 0,1,2 --fanout 560,1

The level family is a regression, scored by R^2 (chance 0) instead of AUROC (chance 0.5).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import relpool  # noqa: E402
from relpool.baselines import run_baseline  # noqa: E402
from relpool.db import inspect_database  # noqa: E402
from relpool.encode import HashingEmbedder  # noqa: E402
from relpool.query.task import build_task  # noqa: E402
from relpool.synth import SynthSpec, generate  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, peak_rss_mib, versions, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SNRS = "0.5,0.2,0.1,0.05,0.02"
POOLS = "mean,sum,max,gated,adaptive"
BASELINES = ("entity", "autofeat")
GOAL = {"adaptive": (">=", 0.75), "mean": ("<=", 0.40), "sum": ("<=", 0.40)}
LEARNED_WITHIN = 0.02  # a validation score this close to the oracle's counts as learned
CHANCE = {"auroc": 0.5, "r2": 0.0}  # a family's metric (truth.json's task.metric) where nothing is learned


def gnn(folder: Path, truth: dict, pool: str, args) -> dict:
    """One fit with ``pool`` (``NAME+INIT``: with ``--pool-option init=INIT``), scored by the family's metric."""
    name, *init = pool.split("+")
    metric = truth["task"]["metric"]
    metrics = relpool.fit(
        folder / truth["database"],
        truth["query"],
        folder / f"model-{pool}",
        pool=name,
        pool_options={"init": init[0]} if init else None,
        history_window=args.history_window,
        epochs=args.epochs,
        patience=args.epochs,
        max_steps=args.max_steps,
        channels=args.channels,
        fanout=tuple(int(f) for f in args.fanout.split(",")),
        strategy="recent",
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        text_embedder=HashingEmbedder(),
        budget=args.budget,
        features=not args.plain,
    ).metrics
    return {
        "served": metrics.get("variant", "default"),  # the network fit served (a candidate may win)
        "val": metrics["val"][metric],
        "test": metrics["test"][metric],
        "seconds": round(metrics["seconds"], 1),
        "best_epoch": metrics["best_epoch"],
        "val_history": [round(h["val"][metric], 4) for h in metrics["history"]],
    }


def baseline(folder: Path, truth: dict, kind: str, seed: int) -> dict:
    started = time.perf_counter()
    inspection = inspect_database(folder / truth["database"])
    metrics = run_baseline(inspection, build_task(inspection, truth["query"]), kind, seed).metrics
    metric = truth["task"]["metric"]
    return {
        "val": metrics["val"][metric],
        "test": metrics["test"][metric],
        "seconds": round(time.perf_counter() - started, 1),
    }


def result_name(seed: int) -> str:
    return "relational_snr" if seed == 0 else f"relational_snr_seed{seed}"


def earlier_runs(options: dict) -> dict:
    """Runs of other S values from an earlier invocation with the same options, so S values can run separately."""
    path = RESULTS / f"{result_name(options['seed'])}.json"
    if not path.exists():
        return {}
    earlier = json.loads(path.read_text())
    same = {k: v for k, v in earlier["options"].items() if k != "snrs"} == {
        k: v for k, v in options.items() if k != "snrs"
    }
    return (
        {s: r for s, r in earlier["runs"].items() if float(s) not in map(float, options["snrs"].split(","))}
        if same
        else {}
    )


def retained(runs: dict, model: str, snrs: list[float], chance: float = 0.5) -> float | None:
    """(score at the smallest S - chance) / (score at the largest S - chance), on test: AUROC above 0.5, or
    R^2 above 0 (``chance`` = CHANCE[metric])."""
    high, low = (runs.get(str(s), {}).get(model, {}).get("test") for s in (max(snrs), min(snrs)))
    return None if high is None or low is None or high <= chance else round((low - chance) / (high - chance), 3)


def epochs_to_learn(runs: dict, model: str, snr: float) -> int | None:
    """The first epoch whose validation score is within LEARNED_WITHIN of the oracle's; None if none is."""
    run = runs.get(str(snr), {})
    history, oracle = run.get(model, {}).get("val_history"), run.get("oracle", {}).get("val")
    if history is None or oracle is None:
        return None
    return next((epoch for epoch, val in enumerate(history, 1) if val >= oracle - LEARNED_WITHIN), None)


def summarise(result: dict, snrs: list[float], models: list[str], metric: str = "auroc") -> None:
    result["retained"] = {m: retained(result["runs"], m, snrs, CHANCE[metric]) for m in models}
    result["epochs_to_learn"] = {
        m: {str(s): epochs_to_learn(result["runs"], m, s) for s in snrs} for m in models if m not in BASELINES
    }
    if len(snrs) < 2:  # nothing is kept from one S to another yet
        result["retained"] = {m: None for m in models}
    result["goal"] = {}
    for m in models:  # a variant of an operator ("adaptive+identity") is held to the operator's goal
        if m.split("+")[0] in GOAL:
            op, v = GOAL[m.split("+")[0]]
            kept = result["retained"][m]
            result["goal"][m] = {"rule": f"retained {op} {v}", "met": None if kept is None else _holds(kept, op, v)}


def _holds(kept: float, op: str, v: float) -> bool:
    return kept >= v if op == ">=" else kept <= v


def plot(result: dict, snrs: list[float], models: list[str], path: Path) -> None:
    fig, (auroc_ax, speed_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, model in enumerate(models):
        points = [(s, result["runs"][str(s)][model]["test"]) for s in snrs if model in result["runs"].get(str(s), {})]
        if points:
            auroc_ax.plot(*zip(*points), marker="o", label=model, linestyle="--" if model in BASELINES else "-")
        learned = [(s, e) for s, e in result.get("epochs_to_learn", {}).get(model, {}).items() if e is not None]
        if learned:
            offset = 0.08 * (i - len(models) / 2)  # equal epochs side by side, not hidden behind each other
            speed_ax.plot(
                [float(s) for s, _ in learned], [e + offset for _, e in learned], marker="os^vD"[i % 5], label=model
            )
    oracle = [(s, result["runs"][str(s)]["oracle"]["test"]) for s in snrs if str(s) in result["runs"]]
    auroc_ax.plot(*zip(*oracle), color="black", linestyle=":", marker="x", label="oracle (Bayes)")
    auroc_ax.axhline(0.5, color="grey", linewidth=0.8)
    auroc_ax.set(ylabel="test AUROC", title=f"{result['options']['entities']:,} customers: test AUROC vs S")
    epochs = result["options"]["epochs"]
    speed_ax.set(
        ylabel="epoch",
        ylim=(0, epochs + 1),
        title=f"epochs to learn: validation AUROC within {LEARNED_WITHIN} of the oracle's",
    )
    for ax in (auroc_ax, speed_ax):
        ax.set_xscale("log")
        ax.set_xticks(snrs, [f"{s:g}" for s in snrs], minor=False)
        ax.set_xticks([], minor=True)
        ax.set_xlabel("signal fraction S (log scale)")
        ax.legend(fontsize=8, ncols=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(result: dict, snrs: list[float], models: list[str], console: Console) -> None:
    """Summary figures into the JSON, the plot into docs/, and a table on the terminal."""
    summarise(result, snrs, models)
    write_result(result_name(result["options"]["seed"]), result)
    if result["options"]["seed"] == 0:
        plot(result, snrs, models, ROOT / "docs" / "relational_snr.png")
    table = Table(title="test AUROC by signal fraction S (epochs to learn)")
    for header in ("model", *map(str, snrs), "retained"):
        table.add_column(header, justify="left" if header == "model" else "right")
    for model in ["oracle", *models]:
        learned = result["epochs_to_learn"].get(model, {})
        runs = [result["runs"][str(s)].get(model) for s in snrs]
        cells = [
            "-" if run is None else f"{run['test']:.4f}" + (f" ({learned.get(str(s)) or '-'})" if learned else "")
            for s, run in zip(snrs, runs)
        ]
        table.add_row(model, *cells, str(result["retained"].get(model, "")))
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snrs", default=SNRS)
    parser.add_argument("--pools", default=POOLS)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--rows-per-entity", type=int, default=50)
    parser.add_argument("--periods", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=10, help="relpool fit's default budget from here on")
    parser.add_argument("--max-steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--fanout", default="56,1", help="recent sampling: the last week (M rows) and a few stale rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--budget", type=float, help="fit's --budget in minutes (0: the network asked for alone; default: fit's)"
    )
    parser.add_argument("--plain", action="store_true", help="plain GNNs (fit's --no-features), not hybrid ones")
    parser.add_argument("--history-window", help="fit's --history-window, e.g. '7 days' (default: all history)")
    parser.add_argument("--report-only", action="store_true", help="summarise and plot the recorded runs")
    parser.add_argument("--families", help="comma-separated synth families: sweep each (see the module doc)")
    parser.add_argument("--seeds", default="0,1,2", help="--families: the seeds of each (family, S)")
    parser.add_argument("--size-spread", type=float, default=100.0, help="--families: the sizes families' spread")
    parser.add_argument("--record-as", help="--families: a suffix for the families' keys (runs with another budget)")
    args = parser.parse_args()
    console = Console()
    if args.families:
        from relational_snr_families import resummarise, sweep

        return resummarise(args) if args.report_only else sweep(args, console)
    if args.report_only:
        result = json.loads((RESULTS / f"{result_name(args.seed)}.json").read_text())
        pools = result["options"]["pools"].split(",")
        return report(result, sorted(map(float, result["runs"]), reverse=True), [*pools, *BASELINES], console)
    snrs, pools = [float(s) for s in args.snrs.split(",")], args.pools.split(",")
    models = [*pools, *BASELINES]
    options = {**vars(args), "strategy": "recent", "text_embedder": "hashing"}
    result = {
        "machine": machine(),
        "versions": versions("torch", "torch-geometric", "lightgbm"),
        "options": options,
        "runs": earlier_runs(options),
    }
    snrs_all = sorted({*snrs, *map(float, result["runs"])}, reverse=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="relpool-snr-") as tmp:
        for snr in snrs:
            folder = Path(tmp) / f"s{snr}"
            truth = generate(
                SynthSpec(
                    entities=args.entities,
                    rows_per_entity=args.rows_per_entity,
                    snr=snr,
                    seed=args.seed,
                    periods=args.periods,
                    format="parquet",
                ),
                folder,
            )
            oracle = truth["oracle"]
            runs = result["runs"][str(snr)] = {
                "oracle": {"val": oracle["val_auroc"], "test": oracle["test_auroc"]},
                "distractor_only": {"test": oracle["test_distractor_auroc"]},
                "signal_fraction": truth["signal"]["fraction"],
                "rows_total": truth["rows_total"],
            }
            result["query"] = truth["query"]
            for model in models:
                runs[model] = (
                    baseline(folder, truth, model, args.seed) if model in BASELINES else gnn(folder, truth, model, args)
                )
                console.print(
                    f"S={snr:<5} {model:<9} test AUROC {runs[model]['test']:.4f} "
                    f"(oracle {oracle['test_auroc']:.4f}) in {runs[model]['seconds']:.0f} s"
                )
                summarise(result, snrs_all, models)
                result["seconds"], result["peak_rss_mib"] = round(time.perf_counter() - started), peak_rss_mib()
                write_result(result_name(args.seed), result)
    report(result, snrs_all, models, console)


if __name__ == "__main__":
    main()

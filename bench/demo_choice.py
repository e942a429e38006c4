"""Which demo configuration makes relpool's model the one chosen on validation? (issue 14)

For each cutoff step and seed, trains the demo's hybrid GNN under each training configuration (the first
prepares the database, task and auto-features; the others reuse them via ``fit(training=...)``), runs the
entity and autofeat baselines once, and keeps every model's val and test predictions under ``--cache``.
Then scores, per run, each blend of the network with autofeat (probability, logit and rank space; the
cross-fitted val that fit uses to compete, and test with the weight of all of val) beside the members.
Choices are read on validation only; test is reported as it falls. ``--time-demo N`` then times ``relpool
demo`` itself N times (wall and CPU seconds, peak RSS, load average), kept in the results across runs.

    python bench/demo_choice.py --steps "14 days,7 days" --seeds 0,1,2 --configs 5x20,8x30
    python bench/demo_choice.py --steps "7 days" --seeds 0,1,2 --configs 6x30
    python bench/demo_choice.py --score-only --time-demo 1   # re-score the cached predictions, time the demo
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from common import RESULTS, machine, versions, write_result
from rich.console import Console

from relpool.workflow.demo import DB, FIT, QUERY, STEP

CACHE = Path("/tmp/relpool-demo-choice")


def _config(text: str) -> dict:
    """``EPOCHSxSTEPS`` with an optional ``@LR``: 5x20, 8x30@0.006."""
    shape, _, lr = text.partition("@")
    epochs, steps = (int(v) for v in shape.split("x"))
    return {"epochs": epochs, "max_steps": steps, **({"lr": float(lr)} if lr else {})}


def train(cache: Path, step: str, seeds: list[int], configs: list[str], console: Console) -> None:
    from relpool.db import inspect_database
    from relpool.query.task import build_task
    from relpool.train.fit import fit
    from relpool.train.options import FitSettings
    from relpool.workflow.baselines import run_baselines

    inspection = inspect_database(DB)
    task = build_task(inspection, QUERY, step)
    training = None  # the prepared database, task and auto-features: the same for every seed and config
    for seed, name in ((s, c) for s in seeds for c in configs):
        folder = cache / step.replace(" ", "") / f"seed{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / name
        if (out / "predictions_val.parquet").is_file():
            continue
        runs: list = []
        options, embedder = FitSettings(pool="adaptive", step=step, seed=seed, **_config(name)).build(DB, QUERY, out)
        started = time.perf_counter()
        fit(
            DB,
            QUERY,
            out,
            options,
            console=console,
            force=True,
            text_embedder=embedder,
            inspection=inspection,
            task=task,
            training=training,
            finish=lambda _, run, runs=runs: runs.append(run),
        )
        (out / "seconds.txt").write_text(f"{time.perf_counter() - started:.1f}\n")
        training = training or runs[0].training
        if not (folder / "autofeat_val.parquet").is_file():
            compared = run_baselines(
                runs[0].inspection, runs[0].task, folder / "baselines", seed, console, features=runs[0].features
            )
            for kind, result in compared.items():
                result.val_predictions.to_parquet(folder / f"{kind}_val.parquet")
                result.test_predictions.to_parquet(folder / f"{kind}_test.parquet")


def _mixer(space: str):
    """``(w, network, baseline) -> blend`` in ``space``: fit's own mix for "linear" and "logit"; "rank" averages
    ranks within the split (not servable: a rank needs the whole split), for comparison only."""
    from scipy.stats import rankdata

    from relpool.baselines.served_blend import mix

    if space == "rank":
        return lambda w, n, b: mix(w, rankdata(n) / len(n), rankdata(b) / len(b), "linear")
    return lambda w, n, b: mix(w, n, b, space)


def _best(grid: list[float], mixed, labels, network, baseline) -> tuple[float, float]:
    """The weight of ``grid`` with the best AUROC of the blend (the first among ties), and that AUROC."""
    from sklearn.metrics import roc_auc_score

    scores = [roc_auc_score(labels, mixed(w, network, baseline)) for w in grid]
    best = max(range(len(grid)), key=scores.__getitem__)
    return grid[best], float(scores[best])


def score_run(folder: Path, network: str, weights: list[float]) -> dict:
    """Val and test AUROC of the members and of each blend space (cross-fitted val, as fit competes)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from relpool.workflow.blend import aligned, halves

    splits = {}
    for split in ("val", "test"):
        net = pd.read_parquet(folder / network / f"predictions_{split}.parquet")
        base = pd.read_parquet(folder / f"autofeat_{split}.parquet")
        entity = pd.read_parquet(folder / f"entity_{split}.parquet")
        a, b = aligned(net, base)
        _, e = aligned(net, entity)
        splits[split] = (
            a["label"].to_numpy(dtype=int),
            a["probability"].to_numpy(),
            b["probability"].to_numpy(),
            e["probability"].to_numpy(),
            a["entity"],
        )
    auc = lambda y, p: float(roc_auc_score(y, p))  # noqa: E731
    out = {}
    for split, (y, n, b, e, _) in splits.items():
        out.setdefault("network", {})[split] = auc(y, n)
        out.setdefault("autofeat", {})[split] = auc(y, b)
        out.setdefault("entity", {})[split] = auc(y, e)
    grids = {"coarse": [round(0.1 * i, 1) for i in range(1, 10)], "fine": weights}
    for space in ("linear", "logit", "rank"):
        mixed = _mixer(space)
        for grid_name, grid in grids.items():
            y, n, b, _, ents = splits["val"]
            first = halves(ents)
            oof = np.empty(len(y))
            for held in (first, ~first):  # as fit: each half with the weight chosen on the other
                w, _ = _best(grid, mixed, y[~held], n[~held], b[~held])
                oof[held] = mixed(w, n, b)[held] if space == "rank" else mixed(w, n[held], b[held])
            w_all, tuned = _best(grid, mixed, y, n, b)
            yt, nt, bt, _, _ = splits["test"]
            out[f"blend-{space}-{grid_name}"] = {
                "val": auc(y, oof),
                "val_tuned": tuned,
                "test": auc(yt, mixed(w_all, nt, bt)),
                "weight": w_all,
            }
    return out


def score(cache: Path) -> dict:
    weights = [round(0.05 * i, 2) for i in range(1, 20)]
    runs = {}
    for seconds in sorted(cache.glob("*/seed*/*/seconds.txt")):
        run = seconds.parent
        if not (run.parent / "autofeat_test.parquet").is_file():
            continue  # its baselines are still training
        key = f"{run.parent.parent.name}/{run.parent.name}/{run.name}"
        runs[key] = {"seconds": float(seconds.read_text()), **score_run(run.parent, run.name, weights)}
    return runs


def table(runs: dict) -> None:
    by = {}
    for key, r in runs.items():
        step, seed, config = key.split("/")
        by.setdefault((step, config), []).append((seed, r))
    for (step, config), rs in sorted(by.items()):
        print(f"== step {step} config {config}: seeds {[s for s, _ in rs]}  s/fit {[r['seconds'] for _, r in rs]}")
        for model in rs[0][1]:
            if model == "seconds":
                continue
            val = " ".join(f"{r[model]['val']:.4f}" for _, r in rs)
            test = " ".join(f"{r[model]['test']:.4f}" for _, r in rs)
            w = " ".join(str(r[model].get("weight", "")) for _, r in rs)
            print(f"  {model:20s} val {val}   test {test}   w {w}")


def time_demo() -> dict:
    """``relpool demo`` end to end under ``/usr/bin/time -v`` in a fresh process: wall and CPU seconds, peak
    RSS, the load average before and after (the cores are shared), and what its metrics.json chose."""
    import os
    import re
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        before = os.getloadavg()
        done = subprocess.run(
            ["/usr/bin/time", "-v", sys.executable, "-m", "relpool", "demo", "--out", f"{tmp}/demo"],
            capture_output=True,
            text=True,
            check=True,
        )
        after = os.getloadavg()
        metrics = json.loads(Path(f"{tmp}/demo/metrics.json").read_text())
    field = lambda name: re.search(rf"{re.escape(name)}: (.+)", done.stderr).group(1)  # noqa: E731
    wall = sum(
        float(p) * 60**i
        for i, p in enumerate(reversed(field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")))
    )
    user, system = float(field("User time (seconds)")), float(field("System time (seconds)"))
    return {
        "step": STEP,
        "fit": FIT,
        "wall_s": round(wall, 1),
        "cpu_s": round(user + system, 1),
        "peak_rss_mib": round(int(field("Maximum resident set size (kbytes)")) / 1024),
        "load_before": [round(v, 2) for v in before],
        "load_after": [round(v, 2) for v in after],
        "chosen": metrics["chosen"],
        "models": {n: {"val": m["val"]["auroc"], "test": m["test"]["auroc"]} for n, m in metrics["models"].items()},
        "weight": metrics["models"].get("blend", {}).get("weight"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="14 days")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--configs", default="5x20")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--score-only", action="store_true")
    parser.add_argument("--results", default="demo_choice")
    parser.add_argument("--time-demo", type=int, default=0, help="then time `relpool demo` this many times")
    args = parser.parse_args()
    console = Console(stderr=True)
    if not args.score_only:
        for step in args.steps.split(","):
            train(args.cache, step, [int(s) for s in args.seeds.split(",")], args.configs.split(","), console)
    result = {"machine": machine(), "versions": versions("torch", "lightgbm"), "runs": score(args.cache)}
    table(result["runs"])
    earlier = RESULTS / f"{args.results}.json"  # timings are kept across re-scoring runs
    result["demo"] = json.loads(earlier.read_text()).get("demo", []) if earlier.is_file() else []
    result["demo"] += [time_demo() for _ in range(args.time_demo)]
    for timed in result["demo"]:
        print(json.dumps(timed))
    write_result(args.results, result)


if __name__ == "__main__":
    main()

"""The benchmark suite: every task of bench/suite_tasks.py x seeds, one ``relpool fit`` each, recording the
main model, every candidate fit tried (when it reports them) and both baselines, so "does the best
model beat the strongest baseline" is answered per task with its spread over seeds.

Each fit is a fresh process (peak RSS from GNU time is its own) with relpool fit's defaults plus
--fit-args. The synthetic databases are drawn once per run with data seed 0, so the spread over seeds
is the models'. Writes bench/results/suite.json after every fit, atomically, keeping the tasks not run
this time (and the other seeds of a task rerun with the same query and fit arguments). --quick (tiny
shops, seed 0, 1 epoch of 5 steps) is a smoke run and writes suite_quick.json instead.

    python bench/suite.py                                  # all tasks x seeds 0,1,2 (~1.5 h on 2 cores)
    python bench/suite.py --tasks planes-late,synth-interaction-0.1 --seeds 0 --fit-args "--epochs 3"
    python bench/suite.py --quick --tasks planes-late,synth-signal-0.1
    python bench/suite.py --table                          # the markdown table for docs/benchmarks.md
    python bench/suite.py --results ablation_plain --tasks planes-late --fit-args "--no-features --no-baselines"
                                                           # an ablation, kept apart from suite.json
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, versions, write_result  # noqa: E402
from suite_table import BASELINES, MAIN, markdown, summarise  # noqa: E402
from suite_tasks import BY_NAME, TASKS, SuiteTask, prepare  # noqa: E402

QUICK_FIT_ARGS = ["--epochs", "1", "--max-steps", "5", "--text-embedder", "hashing"]
TIMEOUT_SECONDS = 3600


def scores(metrics: dict, metric: str) -> dict:
    """val, test (the main metric; a candidate may give the number or the whole dict) and seconds; a blend's
    weight and val tuned on all of val too."""
    pick = lambda v: v.get(metric) if isinstance(v, dict) else v  # noqa: E731
    out = {"val": pick(metrics.get("val")), "test": pick(metrics.get("test")), "seconds": metrics.get("seconds")}
    if "weight" in metrics:
        out |= {"weight": metrics["weight"], "val_tuned": pick(metrics.get("val_tuned"))}
    return out


def fit(db: str, query: str, out: Path, seed: int, fit_args: list[str]) -> dict:
    """One ``relpool fit`` in a child process: every model's scores, wall seconds and peak RSS."""
    command = [sys.executable, "-m", "relpool.cli", "fit", db, query, "--out", str(out), "--seed", str(seed)]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *command, *fit_args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no result after {TIMEOUT_SECONDS} s"}
    wall = time.perf_counter() - started
    if done.returncode != 0:
        return {"error": done.stderr[-2000:], "wall_seconds": wall}
    metrics = json.loads((out / "metrics.json").read_text())
    metric = metrics["metric"]
    models = {MAIN: scores(metrics, metric)}
    for kind in BASELINES:
        path = out / "baselines" / kind / "metrics.json"
        if path.exists():
            models[kind] = scores(json.loads(path.read_text()), metric)
    for name, candidate in (metrics.get("models") or {}).items():
        models[f"candidate:{name}"] = scores(candidate, metric)
    return {
        "metric": metric,
        "models": models,
        "chosen": metrics.get("chosen"),
        "n_train": metrics.get("n_train"),
        "best_epoch": metrics.get("best_epoch"),
        "epochs_run": metrics.get("epochs_run"),
        "wall_seconds": wall,
        "peak_rss_mib": int(done.stderr.strip().splitlines()[-1]) / 1024,
        "load_average_after": os.getloadavg()[0],
    }


def task_entry(task: SuiteTask, query: str, truth: dict | None, fit_args: list[str], earlier: dict | None) -> dict:
    """The task's record: the earlier one when it ran the same query with the same fit arguments (its other
    seeds stay), else a new one."""
    same = earlier and earlier["query"] == query and earlier["fit_args"] == fit_args
    same = same and earlier.get("synth") == (truth["spec"] if truth else None)
    if same:
        assert earlier is not None
        return earlier
    entry: dict = {"query": query, "db": "synth" if truth else "nycflights13", "kind": task.kind}
    entry |= {"entity": task.entity, "fit_args": fit_args, "runs": {}}
    if truth:
        entry |= {"synth": truth["spec"], "family": truth["family"], "oracle": truth["oracle"]}
    return entry


def run_suite(
    tasks: list[SuiteTask], seeds: list[int], fit_args: list[str], quick: bool, console: Console, name: str = "suite"
) -> dict:
    name = "suite_quick" if quick else name
    path = RESULTS / f"{name}.json"
    result = json.loads(path.read_text()) if path.exists() else {"tasks": {}}
    result |= {"machine": machine(), "versions": versions("torch", "torch-geometric", "lightgbm")}
    failures = 0
    with tempfile.TemporaryDirectory(prefix="relpool-suite-") as tmp:
        for task in tasks:
            with console.status(f"{task.name}: preparing the database…"):
                db, query, truth = prepare(task, quick, Path(tmp))
            entry = task_entry(task, query, truth, fit_args, result["tasks"].get(task.name))
            result["tasks"][task.name] = entry
            for seed in seeds:
                with console.status(f"{task.name}, seed {seed}…"):
                    run = fit(db, query, Path(tmp) / f"{task.name}-{seed}", seed, fit_args)
                entry["runs"][str(seed)] = {"machine": machine(), **run}
                entry["summary"] = summarise(entry)
                write_result(name, result)
                failures += "error" in run
                console.print(_line(task.name, seed, run), highlight=False)
    return result | {"failures": failures}


def _line(task: str, seed: int, run: dict) -> str:
    if "error" in run:
        return f"{task:<22} seed {seed}: FAILED {run['error'].strip().splitlines()[-1:]}"
    figures = ", ".join(f"{n} {m['test']:.4f}" for n, m in run["models"].items() if m["test"] is not None)
    return (
        f"{task:<22} seed {seed}: test {run['metric']} {figures}; "
        f"{run['wall_seconds']:.0f} s, {run['peak_rss_mib']:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default=",".join(t.name for t in TASKS), help="comma-separated task names")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--fit-args", default="", help='extra relpool fit options, e.g. "--epochs 3"')
    parser.add_argument("--quick", action="store_true", help="tiny shops, seed 0, 1 epoch of 5 steps")
    parser.add_argument("--table", action="store_true", help="print the markdown table of the results and stop")
    parser.add_argument("--results", default="suite", help="bench/results/<name>.json to write (ablations)")
    args = parser.parse_args()
    if args.table:
        print(markdown(json.loads((RESULTS / f"{'suite_quick' if args.quick else args.results}.json").read_text())))
        return
    unknown = [n for n in args.tasks.split(",") if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown task {', '.join(unknown)}; the tasks are {', '.join(BY_NAME)}")
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    fit_args = (QUICK_FIT_ARGS if args.quick else []) + shlex.split(args.fit_args)
    console = Console()
    tasks = [BY_NAME[n] for n in args.tasks.split(",")]
    result = run_suite(tasks, seeds, fit_args, args.quick, console, args.results)
    print(markdown(result))
    if result["failures"]:
        sys.exit(f"{result['failures']} fit(s) failed; their errors are in bench/results")


if __name__ == "__main__":
    main()

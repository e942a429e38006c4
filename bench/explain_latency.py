"""Seconds of ``relpool explain`` by phase in a fresh process, and of ``predict --explain`` against ``predict``.

A fresh interpreter times what ``relpool explain`` pays, phase by phase: the imports its code path needs,
loading the model, preparing the database (read, checked, encoded, graph built: ``Model._prepare``), the
first explanation, then ``--later`` explanations of other planes in the same process. Issue 15's "one
explanation, model loading included" is ``load + prepare + first`` there (``model_loading_included``): a
process whose imports are done loads the model, prepares the database and explains one entity. A second
fresh interpreter times the whole command (``python -m relpool explain ... --json``) from the outside,
imports included. Then, on a warm ``Model`` (prepared database), plain
``predict`` and ``predict(explain=True)`` over every plane at the newest time, alternated ``--rounds``
times so drift on a shared machine hits both alike: issue 15's "within 3x".

``--repeat N`` runs every fresh-process measurement N times and keeps each figure's minimum (a shared
machine's other work only ever adds time). ``--src A,B`` runs every measurement once per source tree
(PYTHONPATH), alternating, so a change is
measured beside its baseline in one run (e.g. ``--src /work/main/src,src``). ``--cache`` runs every
tree twice, alternating: without a prepared-data cache and with a warm one (``RELPOOL_CACHE``, filled by
one explain before any timing), and writes bench/results/explain_latency_cache.json; otherwise
bench/results/explain_latency.json.

    python bench/explain_latency.py [--model DIR] [--src A,B] [--later 5] [--rounds 2] [--repeat 1] [--cache]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402

QUERY = "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum"
DB = "nycflights13"


def phases(model_dir: str, later: int) -> None:
    """In a fresh interpreter: each phase of an explanation, timed; prints one JSON line."""
    marks = {}
    started = time.perf_counter()
    from relpool.api import Model  # what the explain command imports
    from relpool.report.explain_view import render_explanation  # noqa: F401

    marks["imports"] = time.perf_counter() - started
    from rich.console import Console

    quiet = Console(quiet=True)
    t = time.perf_counter()
    model = Model.load(model_dir)
    marks["load"] = time.perf_counter() - t
    t = time.perf_counter()
    session = model._prepare(DB, quiet)
    marks["prepare"] = time.perf_counter() - t
    entities = model._entities_at(session, None)["entity"].astype(str).tolist()
    t = time.perf_counter()
    first = model.explain(DB, entities[0], console=quiet)
    marks["first_explanation"] = time.perf_counter() - t
    times = []
    for key in entities[1 : 1 + later]:
        t = time.perf_counter()
        model.explain(DB, key, console=quiet)
        times.append(time.perf_counter() - t)
    marks["later_explanations"] = times
    marks["later_mean"] = sum(times) / len(times) if times else None
    marks["model_loading_included"] = marks["load"] + marks["prepare"] + marks["first_explanation"]
    marks["total_to_first"] = marks["imports"] + marks["model_loading_included"]
    marks["entity"] = entities[0]
    marks["first_top_row"] = first["rows"][0] if first["rows"] else None
    print(json.dumps(marks))


def predict_ratio(model_dir: str, rounds: int) -> None:
    """In a fresh interpreter: plain and explained predict on a warm Model, alternated; prints one JSON line."""
    from rich.console import Console

    from relpool.api import Model

    quiet = Console(quiet=True)
    model = Model.load(model_dir)
    model.predict(DB, console=quiet)  # prepares the database: not part of either figure
    plain, explained = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        rows = len(model.predict(DB, console=quiet))
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.predict(DB, console=quiet, explain=True)
        explained.append(time.perf_counter() - t)
    print(json.dumps({"entities": rows, "plain": plain, "explain": explained, "ratio": min(explained) / min(plain)}))


def environment(src: str, cache: str | None) -> dict:
    """The children's environment: ``src`` first on the path, the prepared-data cache set or unset."""
    env = {k: v for k, v in os.environ.items() if k != "RELPOOL_CACHE"}
    return {**env, "PYTHONPATH": str(Path(src).resolve()), **({"RELPOOL_CACHE": cache} if cache else {})}


def child(src: str, cache: str | None, *args: str) -> dict:
    env = environment(src, cache)
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def command_seconds(src: str, cache: str | None, model_dir: str, entity: str) -> float:
    """Wall seconds of the whole ``relpool explain --json`` command in a fresh process, model loading included."""
    env = environment(src, cache)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "relpool", "explain", model_dir, DB, "--entity", entity, "--json"],
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - started


def fastest(rounds: list[dict]) -> dict:
    """Each figure's minimum over the rounds (fresh processes): the least disturbed by other work on the machine."""
    numbers = [k for k, v in rounds[0].items() if isinstance(v, float)]
    return {**rounds[0], **{k: min(r[k] for r in rounds) for k in numbers}}


def fit_model(out: Path) -> None:
    from rich.console import Console

    import relpool

    relpool.fit(DB, QUERY, out, epochs=1, max_steps=5, baselines=False, console=Console(quiet=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a model directory to reuse (default: fit one, 1 epoch x 5 steps)")
    parser.add_argument("--src", default="src", help="comma-separated source trees to compare, alternating")
    parser.add_argument("--later", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per tree; each figure is their min")
    parser.add_argument("--skip-predict", action="store_true", help="only the explain phases and command")
    parser.add_argument("--cache", action="store_true", help="each tree without and with a warm --cache, alternating")
    parser.add_argument("--phases", help=argparse.SUPPRESS)  # the child's model directory
    parser.add_argument("--ratio", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases:
        return phases(args.phases, args.later)
    if args.ratio:
        return predict_ratio(args.ratio, args.rounds)
    trees = args.src.split(",")
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or str(Path(tmp) / "model")
        if not args.model:
            fit_model(Path(model_dir))
        cache = str(Path(tmp) / "cache")
        settings = {src: (src, None) for src in trees}
        if args.cache:
            settings = {name: s for src in trees for name, s in ((src, (src, None)), (f"{src}+cache", (src, cache)))}
            for src in trees:  # fill the cache (one entry per tree's code version) before any timing
                child(src, cache, "--phases", model_dir, "--later", "0")
        runs: dict[str, dict] = {name: {} for name in settings}
        for _ in range(args.repeat):
            for name, (src, folder) in settings.items():  # alternate within each measurement
                phased = child(src, folder, "--phases", model_dir, "--later", str(args.later))
                runs[name].setdefault("phases_rounds", []).append(phased)
            for name, (src, folder) in settings.items():
                entity = runs[name]["phases_rounds"][0]["entity"]
                runs[name].setdefault("command_rounds", []).append(command_seconds(src, folder, model_dir, entity))
        for run in runs.values():
            run["phases"] = fastest(run["phases_rounds"])
            run["command_seconds"] = min(run["command_rounds"])
        if not args.skip_predict:
            for name, (src, folder) in settings.items():
                runs[name]["predict"] = child(src, folder, "--ratio", model_dir, "--rounds", str(args.rounds))
    result = {
        "machine": machine(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg()[0],
        "versions": versions("torch", "torch_geometric", "duckdb", "numba"),
        "query": QUERY,
        "model": args.model or "relpool.fit defaults, baselines off, 1 epoch x 5 steps",
        "runs": runs,
    }
    path = write_result("explain_latency_cache" if args.cache else "explain_latency", result)
    for src, run in runs.items():
        p = run["phases"]
        print(
            f"[{src}] imports {p['imports']:.2f} s, load {p['load']:.2f} s, prepare {p['prepare']:.2f} s, "
            f"first {p['first_explanation']:.2f} s (load+prepare+first {p['model_loading_included']:.2f} s), "
            f"later {p['later_mean']:.2f} s; command {run['command_seconds']:.2f} s"
        )
        if "predict" in run:
            r = run["predict"]
            print(f"[{src}] predict {min(r['plain']):.2f} s, --explain {min(r['explain']):.2f} s: {r['ratio']:.1f}x")
    print(f"-> {path}")


if __name__ == "__main__":
    main()

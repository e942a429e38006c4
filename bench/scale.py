"""Scale check: generate synthetic shops of 1M, 10M and 50M rows; time and measure every stage relpool runs.

Each size runs in a fresh interpreter (its peak memory its own), watched: past MEMORY_CAP_GIB of
resident memory it is stopped, so that running out of memory fails this run, not the machine.
A stage's ``peak_rss_mib`` is the process's high-water mark up to the end of that stage;
``rss_mib`` what it holds after it. One training epoch is what relpool fit runs per epoch by
default: STEPS mini-batches of 512 examples (fanout 16,8, uniform), so its cost tracks sampling
and gathering from the bigger graph; ``warmup`` is the first sampled batch, where numba compiles
the sampler; prediction scores up to PREDICT_AT_MOST customers at the test cutoff.
Writes bench/results/scale.json.

    python bench/scale.py                   # 1M, 10M, 50M rows
    python bench/scale.py --rows 200000     # one small size
    python bench/scale.py --capped          # a 4M-row shop trained under a memory cap with --cache (scale_capped.py)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, peak_rss_mib, versions, write_result  # noqa: E402

SIZES = (1_000_000, 10_000_000, 50_000_000)
ROWS_PER_CUSTOMER = 8 * (50 + 3) + 3.5  # 8 weeks of 50 transactions, 3 sessions and ~half a checkout
MEMORY_CAP_GIB = 21  # resident memory a size may use on this 24 GiB machine before it is stopped
POLL_SECONDS = 0.2
LIMIT_SECONDS = 1200
PREVIOUS = RESULTS / "scale.json"
STEPS = 40  # relpool fit's default epoch (max_steps 40)
PREDICT_AT_MOST = 5_000  # customers scored at the test cutoff; the per-example cost is what grows or not


def rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def one(rows: int, folder: Path) -> None:
    """All stages for one size; prints a JSON line after each so a crash still tells how far it got."""
    import torch

    from relpool.db import inspect_database
    from relpool.encode import HashingEmbedder, materialize_database
    from relpool.graph.build import build_graph
    from relpool.nn.model import ModelSpec, RelationalModel
    from relpool.query.task import build_task
    from relpool.synth import SynthSpec, generate
    from relpool.train.data import fit_targets, prepare_splits
    from relpool.train.fit_options import LoopOptions
    from relpool.train.loop import Loop

    torch.set_num_threads(2)
    state, report = {}, {"rows_requested": rows, "stages": {}}

    def stage(name, work):
        started = time.perf_counter()
        state[name] = work()
        report["stages"][name] = {
            "seconds": round(time.perf_counter() - started, 2),
            "peak_rss_mib": round(peak_rss_mib()),
            "rss_mib": round(rss_mib()),
        }
        print(json.dumps(report), flush=True)

    spec = SynthSpec(entities=max(1, round(rows / ROWS_PER_CUSTOMER)), rows_per_entity=50, snr=0.1, format="parquet")
    stage("generate", lambda: generate(spec, folder / "db"))
    report["rows"], report["customers"] = state["generate"]["rows_total"], spec.entities
    stage("ingest", lambda: inspect_database(folder / "db" / "shop"))
    inspection = state["ingest"]
    stage("task", lambda: build_task(inspection, state["generate"]["query"]))
    task = state["task"]
    stage("graph", lambda: build_graph(inspection).graph)
    stage(
        "encode",
        lambda: materialize_database(
            inspection,
            stats_cutoff=task.cutoffs["val"][0],
            text_embedder=HashingEmbedder(),
            hidden_columns=task.bound.hidden_columns,
        ),
    )
    tables, graph = state["encode"], state["graph"]
    targets = fit_targets(task, inspection)
    splits = prepare_splits(inspection, task, targets)
    spec_ = ModelSpec(
        task_type=task.task_type,
        entity_table=task.bound.entity_table,
        node_types=graph.node_types,
        edge_types=[list(e) for e in graph.edge_types],
        out_dim=1,
        channels=32,
        layers=2,
        pool="adaptive",
    )
    model = RelationalModel(
        spec_,
        {t: e.col_stats for t, e in tables.items()},
        {t: e.tensor_frame.col_names_dict for t, e in tables.items()},
    )
    loop = Loop(model, graph, tables, targets, LoopOptions(fanout=(16, 8), batch_size=512, max_steps_per_epoch=STEPS))
    test = splits["test"]
    stage("warmup", lambda: loop.predict_outputs(test.seeds[:8], test.cutoffs[:8], 0))  # numba compiles the sampler
    report["train_examples"], report["train_steps"] = len(splits["train"]), len(loop.steps(splits["train"], 1))
    stage("train_epoch", lambda: loop.train_epoch(splits["train"], 1))
    n = min(len(test), PREDICT_AT_MOST)
    report["predicted_examples"] = n
    stage("predict", lambda: loop.predict_outputs(test.seeds[:n], test.cutoffs[:n], 0))


def resident_mib(pid: int) -> float:
    """The process's resident memory now (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)


def run_size(rows: int) -> dict:
    """One size in a child process, killed if its resident memory passes MEMORY_CAP_GIB; its report and ending."""
    with (
        tempfile.TemporaryDirectory(prefix="relpool-scale-") as tmp,
        open(Path(tmp) / "out", "w+") as out,
        open(Path(tmp) / "err", "w+") as err,
    ):
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, __file__, "--one", str(rows), "--folder", tmp], stdout=out, stderr=err
        )
        ending, watched_peak = None, 0.0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            watched_peak = max(watched_peak, resident_mib(child.pid))
            if watched_peak > MEMORY_CAP_GIB * 1024 or time.perf_counter() - started > LIMIT_SECONDS:
                ending = (
                    f"killed at {watched_peak / 1024:.1f} GiB resident"
                    if watched_peak > MEMORY_CAP_GIB * 1024
                    else f"killed after {LIMIT_SECONDS} s"
                )
                child.kill()
            time.sleep(POLL_SECONDS)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; tell Popen so it does not wait again
        wall = time.perf_counter() - started
        out.seek(0), err.seek(0)
        lines = [line for line in out.read().splitlines() if line.startswith("{")]
        error = err.read()
    result = json.loads(lines[-1]) if lines else {"rows_requested": rows, "stages": {}}
    code = child.returncode
    result.update(
        wall_seconds=round(wall, 1),
        exit=ending or code,
        completed=code == 0,
        process_peak_rss_mib=round(usage.ru_maxrss / 1024),
    )
    if code != 0:
        result["error_tail"] = error[-1500:]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=",".join(map(str, SIZES)))
    parser.add_argument("--capped", action="store_true", help="train a shop under a memory cap (scale_capped.py)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return one(args.one, args.folder)
    if args.capped:
        from scale_capped import main as capped

        return capped([])
    sizes = [int(r) for r in args.rows.split(",")]
    earlier = json.loads(PREVIOUS.read_text())["sizes"] if PREVIOUS.exists() else []
    result = {
        "machine": machine(),
        "versions": versions("torch", "duckdb", "pyarrow"),
        "memory_cap_gib": MEMORY_CAP_GIB,
        "limit_seconds": LIMIT_SECONDS,
        "sizes": [e for e in earlier if e["rows_requested"] not in sizes],
    }  # sizes may be run separately
    for rows in sizes:
        load = os.getloadavg()[0]
        entry = {"load_average_at_start": round(load, 2), **run_size(rows)}
        result["sizes"] = sorted([*result["sizes"], entry], key=lambda e: e["rows_requested"])
        stages = ", ".join(f"{k} {v['seconds']:.1f} s / {v['peak_rss_mib']} MiB" for k, v in entry["stages"].items())
        print(f"{rows:,} rows: {'ok' if entry['completed'] else entry['exit']}; {stages}", flush=True)
        write_result("scale", result)


if __name__ == "__main__":
    main()

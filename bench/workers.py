"""Data-parallel training on this machine: 1 worker against 2 (``fit --workers``), side by side in one run.

On a synthetic shop database (``relpool synth``), prepared once, every run trains the same network from
the same state through ``relpool.train.workers.run_workers`` (spawned processes, gloo over localhost):

- **throughput**: examples trained per second with 1 worker at batch 2B and 2 workers at batch B (the same
  examples per step), start-up (spawning, importing, unpickling the job) measured apart and subtracted;
- **time to the same validation metric**: seconds from the start of training until validation first
  reaches 98 % of the lower of the two configurations' best;
- **memory per worker**: each worker's peak PSS and USS (``/proc/PID/smaps_rollup`` via psutil): with the
  graph and encoded tables in shared memory, PSS splits them between the workers and USS excludes them;
- **prefetching**: one epoch in this process with the next batch sampled on a background thread, and
  with it switched off (the same batches: the epoch's loss must be equal), seconds of each, best of 2;
- **equivalence**: the test metric of 1 worker at 2B and 2 workers at B over 3 seeds (sampling the latest
  rows, dropout on: the runs differ by their dropout streams), the gap against the seeds' spread.

Writes bench/results/workers.json. The machine may be shared: the load average is recorded.

    OMP_NUM_THREADS=1 python bench/workers.py
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import torch
from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402

from relpool.encode import HashingEmbedder  # noqa: E402
from relpool.synth import SynthSpec, generate  # noqa: E402
from relpool.train import fit as fit_module  # noqa: E402
from relpool.train.fit_options import FitOptions, LoopOptions  # noqa: E402
from relpool.train.resume import restore_checkpoint  # noqa: E402
from relpool.train.split_predictions import predict_split, score_split  # noqa: E402
from relpool.train.trainer import Callbacks, EarlyStopping  # noqa: E402
from relpool.train.workers import WorkerJob, run_workers  # noqa: E402

ENTITIES, ROWS_PER_ENTITY, SNR = 2000, 20, 0.5
STRATEGY = "recent"  # the latest week's rows, where the signal is: a few steps learn it
BATCH = 256  # per worker at 2 workers; 1 worker trains 2 x BATCH per step
EPOCHS, STEPS = 3, 8
SEEDS = (0, 1, 2)
POLL_SECONDS = 0.25


class EpochTimes(Callbacks):
    """Rank 0's clock at the start of training and after every epoch, appended to a JSON-lines file."""

    def __init__(self, path: Path):
        self.path = path

    def start(self, epochs: int, done: int, steps: int) -> None:
        self._write({"start": time.time()})

    def epoch_end(self, stopping: EarlyStopping) -> None:
        self._write({"epoch": stopping.epoch, "time": time.time(), "val": stopping.history[-1]["val"]})

    def _write(self, record: dict) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")


class MemoryWatch:
    """Peak PSS and USS of each child process of this one, polled on a thread while a run lasts."""

    def __init__(self):
        self.peaks: dict[int, dict[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            for child in psutil.Process().children(recursive=True):
                try:
                    if "spawn_main" not in " ".join(child.cmdline()):
                        continue
                    info = child.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                peak = self.peaks.setdefault(child.pid, {"pss_mib": 0.0, "uss_mib": 0.0, "rss_mib": 0.0})
                for key, value in (("pss_mib", info.pss), ("uss_mib", info.uss), ("rss_mib", info.rss)):
                    peak[key] = max(peak[key], value / 2**20)


def examples_trained(n_train: int, batch: int, workers: int, epochs: int) -> int:
    size = batch * workers
    chunks = [min(size, n_train - i) for i in range(0, n_train, size)][:STEPS]
    return epochs * sum(c for c in chunks if c >= workers)


def one_run(training, seed: int, workers: int, folder: Path, epochs: int = EPOCHS) -> dict:
    """Train from a fresh network with ``workers`` processes; the run's times, memory and metrics."""
    batch = BATCH * 2 // workers
    options = FitOptions(channels=32, epochs=epochs, patience=epochs, features=False)
    options.loop = LoopOptions(batch_size=batch, max_steps_per_epoch=STEPS, seed=seed, threads=2, strategy=STRATEGY)
    checkpoint = folder / f"checkpoint-{workers}-{seed}-{epochs}"
    loop, schedule = fit_module._loop_and_schedule(training, options, torch.device("cpu"), None, checkpoint)
    times = folder / f"times-{workers}-{seed}-{epochs}.jsonl"
    started = time.perf_counter()
    with MemoryWatch() as memory:
        run_workers(WorkerJob.of(loop, schedule, EpochTimes(times)), workers)
    wall = time.perf_counter() - started
    record = {"workers": workers, "batch_per_worker": batch, "seed": seed, "wall_seconds": round(wall, 2)}
    record["memory_per_worker"] = list(memory.peaks.values())
    if epochs == 0:
        return record
    lines = [json.loads(line) for line in times.read_text().splitlines()]
    start = lines[0]["start"]
    record["val_by_epoch"] = [{"seconds": round(r["time"] - start, 2), **r["val"]} for r in lines[1:]]
    stopping = schedule.stopping
    best = restore_checkpoint(checkpoint, loop, stopping, schedule.run_id, checkpoint)
    loop.model.load_state_dict(best)
    test = training.splits["test"]
    record["test"] = score_split(predict_split(loop, test, training.targets, None), training.targets, None)
    record["train_seconds"] = round(lines[-1]["time"] - start, 2)
    record["examples"] = examples_trained(len(training.splits["train"]), batch, workers, epochs)
    return record


def prefetch_effect(training) -> dict:
    """One training epoch (threads 2, batch 2B) with and without the background sampler thread, alternated."""
    options = FitOptions(channels=32, features=False)
    options.loop = LoopOptions(batch_size=2 * BATCH, max_steps_per_epoch=STEPS, threads=2, strategy=STRATEGY)
    torch.set_num_threads(2)
    seconds: dict[str, list[float]] = {"prefetch": [], "plain": []}
    losses: dict[str, float] = {}
    for _ in range(2):
        for name in seconds:
            loop, schedule = fit_module._loop_and_schedule(training, options, torch.device("cpu"), None, Path())
            loop.prefetch = name == "prefetch"  # fit prefetches on an accelerator only
            loop.train_epoch(schedule.train, 0)  # numba compiles and caches warm up
            started = time.perf_counter()
            losses[name] = loop.train_epoch(schedule.train, 1)
            seconds[name].append(time.perf_counter() - started)
    torch.set_num_threads(1)
    found: dict = {name: {"epoch_seconds": round(min(s), 3), "loss": losses[name]} for name, s in seconds.items()}
    found["same_loss"] = found["prefetch"]["loss"] == found["plain"]["loss"]
    found["plain_over_prefetch"] = round(found["plain"]["epoch_seconds"] / found["prefetch"]["epoch_seconds"], 3)
    return found


def main() -> None:
    torch.set_num_threads(1)
    report = {
        "machine": machine(),
        "versions": versions("torch"),
        "note": "a shared machine: other work ran on the same 2 cores",
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        truth = generate(SynthSpec(ENTITIES, ROWS_PER_ENTITY, snr=SNR, format="parquet"), folder / "db")
        query = truth["query"]
        options = FitOptions(channels=32, features=False)
        began = time.perf_counter()
        training = fit_module._prepare(
            str(folder / "db" / "shop"), query, options, None, Console(quiet=True), HashingEmbedder(), None, None
        )
        report["prepare_seconds"] = round(time.perf_counter() - began, 1)
        graph = training.prepared.graph
        shared_mib = sum(c.nbytes() for c in graph.edges.values()) + sum(t.nbytes for t in graph.node_time.values())
        report["database"] = {
            "entities": ENTITIES,
            "rows_per_entity_week": ROWS_PER_ENTITY,
            "snr": SNR,
            "query": query,
            "train_examples": len(training.splits["train"]),
            "graph_mib": round(shared_mib / 2**20, 1),
        }
        report["settings"] = {
            "batch_2_workers": BATCH,
            "batch_1_worker": 2 * BATCH,
            "epochs": EPOCHS,
            "steps": STEPS,
            "fanout": "16,8",
            "strategy": STRATEGY,
            "channels": 32,
            "dropout": 0.1,
        }
        report["prefetch"] = prefetch_effect(training)
        startup = {n: one_run(training, 0, n, folder, epochs=0) for n in (1, 2)}
        runs = [one_run(training, seed, n, folder) for seed in SEEDS for n in (1, 2)]
    report["startup_seconds"] = {n: r["wall_seconds"] for n, r in startup.items()}
    report["runs"] = runs
    report["summary"] = summarise(runs, report["startup_seconds"])
    print(json.dumps(report["summary"], indent=2))
    print(write_result("workers", report))


def summarise(runs: list[dict], startup: dict) -> dict:
    by = {n: [r for r in runs if r["workers"] == n] for n in (1, 2)}
    metric = next(iter(by[1][0]["test"]))
    out: dict = {"metric": metric}
    for n, rs in by.items():
        rate = [r["examples"] / r["train_seconds"] for r in rs]
        tests = [r["test"][metric] for r in rs]
        out[f"{n}_worker"] = {
            "examples_per_second": round(statistics.mean(rate), 1),
            "examples_per_second_by_seed": [round(x, 1) for x in rate],
            "test_by_seed": tests,
            "test_mean": statistics.mean(tests),
            "test_std": statistics.stdev(tests),
            "peak_pss_mib_per_worker": round(max(m["pss_mib"] for r in rs for m in r["memory_per_worker"]), 1),
            "peak_uss_mib_per_worker": round(max(m["uss_mib"] for r in rs for m in r["memory_per_worker"]), 1),
            "startup_seconds": startup[n],
        }
    one, two = out["1_worker"], out["2_worker"]
    out["speedup_2_over_1"] = round(two["examples_per_second"] / one["examples_per_second"], 3)
    out["pss_per_worker_2_over_1"] = round(two["peak_pss_mib_per_worker"] / one["peak_pss_mib_per_worker"], 3)
    out["uss_per_worker_2_over_1"] = round(two["peak_uss_mib_per_worker"] / one["peak_uss_mib_per_worker"], 3)
    gap = abs(one["test_mean"] - two["test_mean"])
    out["test_gap"] = gap
    out["test_gap_within_spread"] = gap <= max(one["test_std"], two["test_std"])
    out["time_to_target"] = time_to_target(by, metric)
    return out


def time_to_target(by: dict, metric: str) -> dict:
    """Seconds of training until validation first reaches 98 % of the lower configuration's best (seed mean)."""
    best = min(max(e[metric] for r in rs for e in r["val_by_epoch"]) for rs in by.values())
    target = 0.98 * best
    found = {"target": round(target, 4)}
    for n, rs in by.items():
        seconds = [next((e["seconds"] for e in r["val_by_epoch"] if e[metric] >= target), math.inf) for r in rs]
        found[f"{n}_worker_seconds_by_seed"] = [s if math.isfinite(s) else None for s in seconds]
    return found


if __name__ == "__main__":
    main()

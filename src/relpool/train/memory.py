"""Will one mini-batch fit in memory? Measured up front, so an absurd ``--fanout`` is one clear message
instead of minutes of work and an out-of-memory kill.

A few training examples are sampled one at a time with the run's own fanout and strategy; their mean
subgraph size times ``--batch-size`` is the batch's, and a deliberately low estimate of what training
keeps per node and per edge (a few ``channels``-wide float32 vectors per layer for autograd) is
compared with the memory the machine has available. Only a batch that cannot fit even by that
estimate is refused, so the check never stops a run that would have fitted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from relpool.errors import RelpoolError
from relpool.graph import TemporalSampler
from relpool.graph.hetero import TemporalGraph

PILOT_EXAMPLES = 8
PILOT_SEED = 7
FLOATS_PER_EDGE_LAYER = 4  # the message, its gathered copy, and the pool's keys / values
FLOATS_PER_NODE_LAYER = 3  # update, residual, layer norm
FLOATS_PER_NODE_INPUT = 4  # table encoder output and the age encoding
GIB = 1 << 30


def available_bytes() -> int | None:
    """Memory this process may still use: the kernel's MemAvailable, lowered by a cgroup limit; None if unknown."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError):
        pass
    for limit, usage in (
        ("memory.max", "memory.current"),
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),
    ):
        try:
            cap = Path("/sys/fs/cgroup", limit).read_text().strip()
            if cap.isdigit() and int(cap) < 1 << 60:
                found.append(int(cap) - int(Path("/sys/fs/cgroup", usage).read_text().strip()))
        except (OSError, ValueError):
            continue
    return min(found) if found else None


def batch_bytes(nodes: float, edges: float, channels: int, layers: int) -> float:
    floats = nodes * (FLOATS_PER_NODE_INPUT + layers * FLOATS_PER_NODE_LAYER) + edges * layers * FLOATS_PER_EDGE_LAYER
    return 4.0 * channels * floats


def check_batch_fits(
    graph: TemporalGraph,
    seed_type: str,
    seeds: np.ndarray,
    cutoffs: np.ndarray,
    *,
    fanout: tuple[int, ...],
    strategy: str,
    history_window: int | None = None,
    batch_size: int,
    channels: int,
    layers: int,
    budget: int | None = None,
) -> None:
    """Refuse, naming the options to lower, a mini-batch that cannot fit in ``budget`` (default: available)."""
    budget = available_bytes() if budget is None else budget
    if budget is None or not len(seeds):
        return
    sampler = TemporalSampler(
        graph, list(fanout), strategy, seed=PILOT_SEED, num_threads=1, history_window=history_window
    )
    picks = np.unique(np.linspace(0, len(seeds) - 1, min(PILOT_EXAMPLES, len(seeds))).astype(np.int64))
    examples = min(batch_size, len(seeds))  # a batch holds at most every example
    nodes = edges = 0
    for count, i in enumerate(picks, 1):
        batch = sampler.sample(seed_type, seeds[i : i + 1], cutoffs[i : i + 1])
        nodes, edges = nodes + batch.num_nodes, edges + batch.num_edges
        batch_nodes, batch_edges = nodes / count * examples, edges / count * examples
        need = batch_bytes(batch_nodes, batch_edges, channels, layers)
        if need > 4 * budget or (count == len(picks) and need > budget):  # far over: no need to sample on
            raise RelpoolError(
                f"--fanout {','.join(map(str, fanout))} with --batch-size {batch_size} samples about "
                f"{batch_nodes:,.0f} rows and {batch_edges:,.0f} edges per mini-batch, which needs at least "
                f"{need / GIB:,.1f} GiB to train on, but {budget / GIB:,.1f} GiB of memory is available: "
                f"lower --fanout or --batch-size"
            )

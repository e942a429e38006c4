"""``relpool fit --workers N`` on one machine: N processes started here, one data-parallel group.

The graph's arrays are moved to shared memory once and the workers map them (``SharedGraph``), and
the encoded tables' tensors travel the same way (torch.multiprocessing shares a tensor's storage
instead of copying it), so N workers hold one copy of the data. Each worker builds its own network and
optimiser from the parent's state (its own memory: the workers must not update each other's weights).
A worker that dies ends the run: the others are stopped and the checkpoint is rank 0's last complete one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.multiprocessing as mp
from rich.console import Console

from relpool.encode.materialize import EncodedTable
from relpool.errors import RelpoolError
from relpool.graph.csr import TemporalCSR
from relpool.graph.hetero import TemporalGraph
from relpool.nn.model import ModelSpec, RelationalModel
from relpool.tasks import Targets
from relpool.train.data_parallel import Schedule, train_ranks
from relpool.train.device import resolve_device
from relpool.train.distributed import Group, free_port, join, leave, threads_per_worker, worker_device
from relpool.train.fit_options import LoopOptions
from relpool.train.loop import Loop
from relpool.train.progress import ProgressBars
from relpool.train.trainer import Callbacks


class SharedGraph:
    """A :class:`TemporalGraph` whose arrays live in shared memory: pickling it passes handles, not data."""

    def __init__(self, graph: TemporalGraph):
        self.node_time = {t: _shared(a) for t, a in graph.node_time.items()}
        self.edges = {
            e: (_shared(c.indptr), _shared(c.indices), _shared(c.times), c.num_dst) for e, c in graph.edges.items()
        }

    def graph(self) -> TemporalGraph:
        """The graph, its arrays numpy views of the shared memory (nothing copied)."""
        graph = TemporalGraph()
        graph.node_time = {t: a.numpy() for t, a in self.node_time.items()}
        graph.edges = {e: _csr(*arrays) for e, arrays in self.edges.items()}
        return graph


def _shared(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array)).share_memory_()


def _csr(indptr: torch.Tensor, indices: torch.Tensor, times: torch.Tensor, num_dst: int) -> TemporalCSR:
    return TemporalCSR(indptr.numpy(), indices.numpy(), times.numpy(), num_dst)


@dataclass
class WorkerJob:
    """Everything a worker needs, picklable: the network's state, the shared data, what to train."""

    spec: ModelSpec
    col_stats: dict
    col_names: dict
    weights: dict[str, torch.Tensor]
    optimizer: dict
    graph: SharedGraph
    tables: dict[str, EncodedTable]
    targets: Targets
    options: LoopOptions
    schedule: Schedule
    device: str
    callbacks: Callbacks | None = None  # rank 0's; None: progress bars on stderr

    @classmethod
    def of(cls, loop: Loop, schedule: Schedule, callbacks: Callbacks | None = None) -> WorkerJob:
        """The job of ``loop`` (its network, optimiser and data) as it stands, e.g. just restored for --resume."""
        col_stats = {t: e.col_stats for t, e in loop.tables.items()}
        col_names = {t: e.tensor_frame.col_names_dict for t, e in loop.tables.items()}
        weights = {k: v.detach().cpu() for k, v in loop.model.state_dict().items()}
        return cls(
            loop.model.spec,
            col_stats,
            col_names,
            weights,
            loop.optimizer.state_dict(),
            SharedGraph(loop.graph),
            loop.tables,
            loop.targets,
            loop.options,
            schedule,
            str(loop.device),
            callbacks,
        )


class WorkerDied(RelpoolError):
    """A worker process was killed or crashed: the run stopped, and rank 0's last checkpoint is whole."""


def run_workers(job: WorkerJob, workers: int) -> None:
    """Train ``job`` with ``workers`` processes on this machine (gloo, or nccl with one GPU each); rank 0
    writes the checkpoint the caller then reads. When one fails the others are stopped (torch's spawn), and
    that is one error: the worker's own :class:`RelpoolError`, else :class:`WorkerDied`."""
    address = f"127.0.0.1:{free_port()}"
    try:
        mp.start_processes(_work, args=(job, workers, address), nprocs=workers, join=True, start_method="spawn")
    except mp.ProcessExitedException as exc:
        how = f"was killed by {exc.signal_name}" if exc.signal_name else f"exited with code {exc.exit_code}"
        raise WorkerDied(f"training worker {exc.error_index} of {workers} {how}, so the run stopped") from None
    except mp.ProcessRaisedException as exc:
        found = re.findall(r"^relpool\.errors\.RelpoolError: (.*)$", str(exc), flags=re.MULTILINE)
        if found:
            raise RelpoolError(found[-1]) from None
        last = [line for line in str(exc).strip().splitlines() if line.strip()][-1:]
        raise WorkerDied(
            f"training worker {exc.error_index} of {workers} failed ({last[0] if last else 'no message'}), "
            f"so the run stopped"
        ) from None


def _work(rank: int, job: WorkerJob, world: int, address: str) -> None:
    group = Group(rank, world, rank, world)
    threads = threads_per_worker(group, job.options.threads)
    torch.set_num_threads(threads)
    device = worker_device(resolve_device(job.device), group)
    join(group, device, address)
    try:
        model = RelationalModel(job.spec, job.col_stats, job.col_names)
        model.load_state_dict(job.weights)  # copied into this worker's own parameters
        loop = Loop(model, job.graph.graph(), job.tables, job.targets, replace(job.options, threads=threads), device)
        loop.optimizer.load_state_dict(_owned(job.optimizer))
        callbacks = job.callbacks or ProgressBars(Console(stderr=True))
        train_ranks(loop, job.schedule, group, callbacks if group.main else Callbacks())
    finally:
        leave()


def _owned(value):
    """A copy of every tensor in ``value``: state that arrived in shared memory must not be updated in place."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, dict):
        return {k: _owned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_owned(v) for v in value]
    return value

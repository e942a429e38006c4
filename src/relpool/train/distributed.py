"""torch.distributed for data-parallel training: the process group, DDP around the network, and the
collectives the trainer needs (an epoch's mean loss, rank 0's validation and checkpoint state).

gloo on the CPU, nccl on GPUs. One machine: ``relpool fit --workers N`` starts the processes itself
(:mod:`.workers`); several: ``torchrun`` starts them and sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``
(and the rendezvous address), which :func:`from_environment` reads.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from relpool.train.loop import Loop

TIMEOUT = timedelta(minutes=15)
"""How long a collective waits for the other workers (rank 0 validates while they wait) before failing."""


@dataclass(frozen=True)
class Group:
    rank: int
    world: int
    local_rank: int = 0
    local_world: int = 1  # workers on this machine, who share its cores

    @property
    def main(self) -> bool:
        return self.rank == 0


def from_environment() -> Group | None:
    """The group torchrun describes in the environment, or None when not under it (or with a world of one)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or "RANK" not in os.environ:
        return None
    return Group(
        int(os.environ["RANK"]),
        world,
        int(os.environ.get("LOCAL_RANK", "0")),
        int(os.environ.get("LOCAL_WORLD_SIZE", str(world))),
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for the workers of one machine to meet on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def threads_per_worker(group: Group, wanted: int) -> int:
    """Torch and sampler threads for one worker: ``wanted``, at most this machine's cores shared evenly."""
    return max(1, min(wanted, (os.cpu_count() or 1) // group.local_world))


def worker_device(device: torch.device, group: Group) -> torch.device:
    """Each worker of a machine on its own GPU (``LOCAL_RANK``); the CPU stays the CPU."""
    return torch.device("cuda", group.local_rank) if device.type == "cuda" else device


def join(group: Group, device: torch.device, address: str | None = None) -> None:
    """Enter the process group meeting at ``address`` (host:port), or where ``MASTER_ADDR``/``MASTER_PORT``
    say (torchrun sets them)."""
    if device.type == "cuda":
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    method = f"tcp://{address}" if address else "env://"
    dist.init_process_group(backend, init_method=method, rank=group.rank, world_size=group.world, timeout=TIMEOUT)


def leave() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def broadcast(value, group: Group):
    """Rank 0's ``value`` on every rank (any picklable object)."""
    box = [value if group.main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def parallelise(loop: Loop, group: Group) -> None:
    """Train ``loop`` as worker ``rank`` of ``world``: its part of each batch, gradients all-reduced by DDP
    (which also copies rank 0's weights to every worker), the epoch's loss averaged over the workers."""
    loop.rank, loop.world = group.rank, group.world
    ids = [loop.device.index] if loop.device.type == "cuda" else None
    # find_unused_parameters: a batch may miss a table or an edge type, leaving its parameters without gradient
    loop.network = DistributedDataParallel(loop.model, device_ids=ids, find_unused_parameters=True)
    loop.average = lambda loss: _mean(loss, loop.device)


def _mean(value: float, device: torch.device) -> float:
    total = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return float(total.item()) / dist.get_world_size()

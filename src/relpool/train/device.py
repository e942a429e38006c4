"""Where the network runs (``--device cpu|cuda|auto``) and how a mini-batch gets there.

Sampling and data preparation stay on the CPU; only the model and each prepared batch move. Pinned
memory and asynchronous copies are used for CUDA only: on the CPU ``.to("cpu")`` is the tensor itself,
so a CPU run computes exactly what it did before the option existed.
"""

from __future__ import annotations

import torch
from torch_frame import TensorFrame
from torch_geometric.data import HeteroData

from relpool.errors import RelpoolError

DEVICES = ("cpu", "cuda", "auto")


def resolve_device(name: str | torch.device) -> torch.device:
    """``cpu``, ``cuda`` (``cuda:1``), or ``auto`` (CUDA when there is a GPU) -> a torch device."""
    if isinstance(name, torch.device):
        name = str(name)
    if not isinstance(name, str) or name.split(":")[0] not in DEVICES or (name.startswith("auto") and name != "auto"):
        raise RelpoolError(f"--device must be cpu, cuda or auto, got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise RelpoolError(f"--device must be cpu, cuda or cuda:N, got {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RelpoolError(f"--device {name} needs a CUDA GPU, but torch sees none; use --device cpu or auto")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise RelpoolError(f"--device {name}: torch sees {torch.cuda.device_count()} GPU(s)")
    return device


def pinned(value, device: torch.device):
    """``value`` in page-locked memory when it is bound for a GPU (so the copy can overlap compute)."""
    if device.type != "cuda" or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(pinned(v, device) for v in value)
    if isinstance(value, dict):
        return {k: pinned(v, device) for k, v in value.items()}
    return value.pin_memory()


def to_device(value, device: torch.device):
    """A tensor, ``TensorFrame``, ``HeteroData`` (or a tuple, list or dict of them) on ``device``."""
    if value is None or device.type == "cpu":
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(to_device(v, device) for v in value)
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    if isinstance(value, (torch.Tensor, HeteroData)):
        return value.to(device, non_blocking=True)
    if isinstance(value, TensorFrame):
        return value.to(device, non_blocking=True)
    raise TypeError(f"cannot move a {type(value).__name__} to {device}")

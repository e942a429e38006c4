"""pytorch-frame column statistics to JSON and back (they hold enums, tuples and tensors)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch_frame.data.stats import StatType


def _encode(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return {"tensor": value.tolist(), "dtype": str(value.dtype).removeprefix("torch.")}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "tensor" in value:
            return torch.tensor(value["tensor"], dtype=getattr(torch, value["dtype"]))
        if "tuple" in value:
            return tuple(_decode(v) for v in value["tuple"])
        if "float" in value:
            return float(value["float"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def col_stats_to_json(col_stats: dict[str, dict[StatType, Any]]) -> dict:
    return {col: {stat.name: _encode(v) for stat, v in stats.items()} for col, stats in col_stats.items()}


def col_stats_from_json(data: dict) -> dict[str, dict[StatType, Any]]:
    return {col: {StatType[name]: _decode(v) for name, v in stats.items()} for col, stats in data.items()}

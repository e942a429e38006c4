"""An encoded table's :class:`TensorFrame` saved as .npy files and loaded memory-mapped, without copying.

Every stype's tensor (the values and offsets of multi-categorical and text-embedded columns) is one file;
``frame.json`` records the stypes, column names and row count. Loaded tensors share the read-only map
(``torch.from_numpy``): batches gather rows from them, which copies only the rows a batch needs.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
import torch_frame
from torch_frame import TensorFrame
from torch_frame.data import MultiEmbeddingTensor, MultiNestedTensor

from relpool.arrays import load_npy, save_npy

LAYOUT = "frame.json"
_NESTED = {"nested": MultiNestedTensor, "embedding": MultiEmbeddingTensor}


def save_frame(frame: TensorFrame, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    parts = {}
    for stype, data in frame.feat_dict.items():
        if isinstance(data, torch.Tensor):
            save_npy(folder / f"{stype.value}.npy", data.numpy())
            parts[stype.value] = {"kind": "tensor"}
            continue
        kind = next(k for k, cls in _NESTED.items() if isinstance(data, cls))
        save_npy(folder / f"{stype.value}_values.npy", data.values.numpy())
        save_npy(folder / f"{stype.value}_offset.npy", data.offset.numpy())
        parts[stype.value] = {"kind": kind, "num_cols": data.num_cols}
    layout = {
        "num_rows": frame.num_rows,
        "parts": parts,
        "col_names": {stype.value: names for stype, names in frame.col_names_dict.items()},
    }
    (folder / LAYOUT).write_text(json.dumps(layout))


def load_frame(folder: Path) -> TensorFrame:
    """The frame ``save_frame`` wrote to ``folder``, its tensors views of mapped files; ``OSError``,
    ``ValueError`` or ``KeyError`` when a file is missing or damaged."""
    layout = json.loads((folder / LAYOUT).read_text())
    num_rows = layout["num_rows"]
    feat_dict: dict = {}
    for name, part in layout["parts"].items():
        stype = torch_frame.stype(name)
        if part["kind"] == "tensor":
            feat_dict[stype] = _tensor(folder / f"{name}.npy")
        else:
            values, offset = _tensor(folder / f"{name}_values.npy"), _tensor(folder / f"{name}_offset.npy")
            feat_dict[stype] = _NESTED[part["kind"]](num_rows, part["num_cols"], values, offset)
    col_names = {torch_frame.stype(s): names for s, names in layout["col_names"].items()}
    return TensorFrame(feat_dict, col_names, num_rows=num_rows)


def _tensor(path: Path) -> torch.Tensor:
    array = load_npy(path)
    if array.size == 0:  # an empty file has no map to share
        return torch.from_numpy(np.array(array))
    with warnings.catch_warnings():  # torch warns that the map is read-only: nothing writes into inputs
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(array)

"""A blend of the network and the autofeat LightGBM, kept so predict can serve it: ``w·network + (1−w)·autofeat``.

Binary tasks average probabilities, regression tasks values (:data:`BLENDABLE`). ``blend.json`` in the model
directory holds the weight and the SHA-256 of the autofeat member's model file; the network is the directory's
own. The two members' predictions are combined only when they are for the same examples in the same order
(:func:`combine` checks entity and cutoff), so a shuffled frame can never be averaged silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from relpool.baselines.served import ServedBaseline
from relpool.errors import RelpoolError
from relpool.files import write_atomically
from relpool.tasks import task_kind

BLENDABLE = ("binary", "regression")
MEMBER = "autofeat"  # the baseline the network is blended with
FILE = "blend.json"


def combine(weight: float, task_type: str, network: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """``network``'s frame with its prediction column replaced by the weighted average of both members'.
    Both frames carry entity and cutoff (or neither: then they must come from the same examples frame)."""
    column = task_kind(task_type).column
    keys = [k for k in ("entity", "cutoff") if k in network.columns and k in baseline.columns]
    if len(network) != len(baseline) or any(
        not network[k].reset_index(drop=True).equals(baseline[k].reset_index(drop=True)) for k in keys
    ):
        raise RelpoolError("the blend's two members predicted for different examples; retrain the model")
    mixed = weight * network[column].to_numpy(dtype=float) + (1 - weight) * baseline[column].to_numpy(dtype=float)
    out = network.reset_index(drop=True).copy()
    out[column] = mixed
    return out


@dataclass
class ServedBlend:
    weight: float  # the network's share
    task_type: str
    autofeat: ServedBaseline

    def predict(self, network: pd.DataFrame, inspection, bound, examples: pd.DataFrame) -> pd.DataFrame:
        """The blend of ``network`` (the network's prediction columns for ``examples``, in their order) and the
        autofeat member's predictions for the same ``examples``."""
        keys = examples[["entity", "cutoff"]].reset_index(drop=True)
        baseline = pd.concat([keys, self.autofeat.predict(inspection, bound, examples)], axis=1)
        return combine(self.weight, self.task_type, network.reset_index(drop=True), baseline)


def save_blend(folder: Path, weight: float, task_type: str, member_sha256: str, metrics: dict) -> Path:
    """``folder``/blend.json, atomically: what serving the blend needs, and its scores for information."""
    content = {"weight": weight, "task_type": task_type, "members": ["network", MEMBER]}
    content |= {"autofeat_sha256": member_sha256, "metrics": metrics}
    path = folder / FILE
    write_atomically(path, lambda p: p.write_text(json.dumps(content, indent=2) + "\n"))
    return path


def load_blend(folder: Path) -> ServedBlend:
    """The blend ``folder`` serves; one clear error when blend.json or its autofeat member is missing or damaged."""
    try:
        about = json.loads((folder / FILE).read_text())
        weight, task_type, sha = float(about["weight"]), str(about["task_type"]), about["autofeat_sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RelpoolError(f"{folder / FILE} cannot be read ({exc}); the model directory is damaged") from None
    if not 0 < weight < 1 or task_type not in BLENDABLE:
        raise RelpoolError(f"{folder / FILE} is damaged: weight {weight} or task type {task_type!r} is not relpool's")
    member = folder / "baselines" / MEMBER
    if not (member / "served.json").is_file():
        raise RelpoolError(f"the blend's {MEMBER} member is missing from {member}; the model directory is damaged")
    autofeat = ServedBaseline.load(member)
    if json.loads((member / "served.json").read_text()).get("model_sha256") != sha:
        raise RelpoolError(f"the blend's {MEMBER} member in {member} is not the one it was trained with; retrain")
    return ServedBlend(weight, task_type, autofeat)


def fingerprint(folder: Path) -> str:
    """The blend's weight and its autofeat member's model SHA-256 as blend.json records them (part of the
    served model's id)."""
    try:
        about = json.loads((folder / FILE).read_text())
    except (OSError, ValueError):
        return "unreadable"
    return f"{about.get('weight')}:{about.get('autofeat_sha256')}"

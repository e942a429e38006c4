"""A blend of the network and the autofeat LightGBM, kept so predict can serve it: ``w·network + (1−w)·autofeat``.

Regression tasks average values; binary tasks average log-odds (:data:`SPACES`), since the two members are
calibrated differently (on the demo's task the hybrid GNN's median probability is 0.001-0.002, LightGBM's
0.010-0.014, so a probability average is mostly LightGBM's ranking). ``blend.json`` in the model directory
holds the weight, the space and the SHA-256 of the autofeat member's model file; the network is the
directory's own. A blend.json without a space is from before log-odds blending: it averaged probabilities,
and still does. The two members' predictions are combined only when they are for the same examples in the
same order (:func:`combine` checks entity and cutoff), so a shuffled frame can never be averaged silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from relpool.baselines.served import ServedBaseline
from relpool.errors import RelpoolError
from relpool.files import write_atomically
from relpool.tasks import task_kind

SPACES = {"binary": "logit", "regression": "linear"}
"""What each blendable task kind averages in: log-odds for binary, the values themselves for regression."""
BLENDABLE = tuple(SPACES)
EPSILON = 1e-7  # probabilities are clipped to [EPSILON, 1 - EPSILON] before their log-odds are taken
MEMBER = "autofeat"  # the baseline the network is blended with
FILE = "blend.json"


def mix(weight: float, network: np.ndarray, baseline: np.ndarray, space: str) -> np.ndarray:
    """``weight·network + (1−weight)·baseline`` in ``space``: "linear" as given, "logit" in log-odds (the
    result is a probability again)."""
    if space == "linear":
        return weight * network + (1 - weight) * baseline
    odds = [np.log(p / (1 - p)) for p in (np.clip(v, EPSILON, 1 - EPSILON) for v in (network, baseline))]
    return 1 / (1 + np.exp(-(weight * odds[0] + (1 - weight) * odds[1])))


def combine(
    weight: float, task_type: str, network: pd.DataFrame, baseline: pd.DataFrame, space: str | None = None
) -> pd.DataFrame:
    """``network``'s frame with its prediction column replaced by both members' blend in ``space`` (default the
    task kind's, :data:`SPACES`). Both frames carry entity and cutoff (or neither: then they must come from the
    same examples frame)."""
    column = task_kind(task_type).column
    keys = [k for k in ("entity", "cutoff") if k in network.columns and k in baseline.columns]
    if len(network) != len(baseline) or any(
        not network[k].reset_index(drop=True).equals(baseline[k].reset_index(drop=True)) for k in keys
    ):
        raise RelpoolError("the blend's two members predicted for different examples; retrain the model")
    own, other = (f[column].to_numpy(dtype=float) for f in (network, baseline))
    mixed = mix(weight, own, other, space or SPACES[task_type])
    out = network.reset_index(drop=True).copy()
    out[column] = mixed
    return out


@dataclass
class ServedBlend:
    weight: float  # the network's share
    task_type: str
    autofeat: ServedBaseline
    space: str = "linear"  # what is averaged (:func:`mix`)

    def predict(self, network: pd.DataFrame, inspection, bound, examples: pd.DataFrame) -> pd.DataFrame:
        """The blend of ``network`` (the network's prediction columns for ``examples``, in their order) and the
        autofeat member's predictions for the same ``examples``."""
        keys = examples[["entity", "cutoff"]].reset_index(drop=True)
        baseline = pd.concat([keys, self.autofeat.predict(inspection, bound, examples)], axis=1)
        return combine(self.weight, self.task_type, network.reset_index(drop=True), baseline, self.space)


def save_blend(folder: Path, weight: float, task_type: str, member_sha256: str, metrics: dict) -> Path:
    """``folder``/blend.json, atomically: what serving the blend needs, and its scores for information."""
    content = {"weight": weight, "task_type": task_type, "space": SPACES[task_type], "members": ["network", MEMBER]}
    content |= {"autofeat_sha256": member_sha256, "metrics": metrics}
    path = folder / FILE
    write_atomically(path, lambda p: p.write_text(json.dumps(content, indent=2) + "\n"))
    return path


def load_blend(folder: Path) -> ServedBlend:
    """The blend ``folder`` serves; one clear error when blend.json or its autofeat member is missing or damaged."""
    try:
        about = json.loads((folder / FILE).read_text())
        weight, task_type, sha = float(about["weight"]), str(about["task_type"]), about["autofeat_sha256"]
        space = str(about.get("space", "linear"))  # none recorded: an older blend, of probabilities
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RelpoolError(f"{folder / FILE} cannot be read ({exc}); the model directory is damaged") from None
    if not 0 < weight < 1 or task_type not in BLENDABLE or space not in ("linear", SPACES[task_type]):
        raise RelpoolError(
            f"{folder / FILE} is damaged: weight {weight}, task type {task_type!r} or space {space!r} is not relpool's"
        )
    member = folder / "baselines" / MEMBER
    if not (member / "served.json").is_file():
        raise RelpoolError(f"the blend's {MEMBER} member is missing from {member}; the model directory is damaged")
    autofeat = ServedBaseline.load(member)
    if json.loads((member / "served.json").read_text()).get("model_sha256") != sha:
        raise RelpoolError(f"the blend's {MEMBER} member in {member} is not the one it was trained with; retrain")
    return ServedBlend(weight, task_type, autofeat, space)


def fingerprint(folder: Path) -> str:
    """The blend's weight and its autofeat member's model SHA-256 as blend.json records them (part of the
    served model's id)."""
    try:
        about = json.loads((folder / FILE).read_text())
    except (OSError, ValueError):
        return "unreadable"
    return f"{about.get('weight')}:{about.get('autofeat_sha256')}"

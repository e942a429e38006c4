"""The best achievable score on the synthetic task, on the very examples relpool evaluates.

The label is the week's latent state flipped with probability ``label_noise``, independently of
everything else, so P(label | all data) depends only on the latent state, which any one signal row
reveals exactly (its amount is above the median iff the state is 1) in either family. Scoring each example by that
state is therefore Bayes-optimal; its expected AUROC is 1 - label_noise, and truth.json also gives
the AUROC it reaches on the realised validation and test examples.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from sklearn.metrics import roc_auc_score

from relpool.synth.spec import SynthSpec


def auroc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else None


def oracle_scores(spec: SynthSpec, labels: pa.Table, score: str) -> dict:
    cutoffs = labels["cutoff"].to_numpy()
    y, oracle, distractor = (labels[c].to_numpy() for c in ("label", "oracle", "distractor"))
    out = {
        "score": score,
        "expected_auroc": 1 - spec.label_noise,
    }
    for split, [cutoff] in ((s, spec.cutoffs()[s]) for s in ("val", "test")):
        rows = cutoffs == cutoff
        out[f"{split}_auroc"] = auroc(y[rows], oracle[rows])
        out[f"{split}_distractor_auroc"] = auroc(y[rows], distractor[rows])
        out[f"{split}_positive_rate"] = float(y[rows].mean())
    return out

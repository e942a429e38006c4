"""The best achievable score on the synthetic task, on the very examples relpool evaluates.

Binary families: the label is the week's latent state flipped with probability ``label_noise``, independently
of everything else, so P(label | all data) depends only on the latent state, which any one signal row reveals
exactly (its amount is above the median iff the state is 1). Scoring each example by that state is therefore
Bayes-optimal; its expected AUROC is 1 - label_noise, and truth.json also gives the AUROC it reaches on the
realised validation and test examples. The level family's oracle is a posterior mean, scored by R^2.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from sklearn.metrics import r2_score, roc_auc_score

from relpool.synth.spec import SynthSpec


def auroc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else None


def r2(labels: np.ndarray, scores: np.ndarray) -> float | None:
    return float(r2_score(labels, scores)) if len(labels) > 1 else None


def oracle_scores(spec: SynthSpec, labels: pa.Table, score: str) -> dict:
    """The oracle's and the distractor's ``spec.metric`` on the validation and test examples."""
    cutoffs = labels["cutoff"].to_numpy()
    y, oracle, distractor = (labels[c].to_numpy() for c in ("label", "oracle", "distractor"))
    metric, scored = spec.metric, {"auroc": auroc, "r2": r2}[spec.metric]
    out: dict = {"score": score, "metric": metric}
    if metric == "auroc":
        out["expected_auroc"] = 1 - spec.label_noise
    else:  # over every cutoff's examples: the realised splits' figure is one draw of it
        out["all_cutoffs_r2"] = r2(y, oracle)
    for split, [cutoff] in ((s, spec.cutoffs()[s]) for s in ("val", "test")):
        rows = cutoffs == cutoff
        out[f"{split}_{metric}"] = scored(y[rows], oracle[rows])
        out[f"{split}_distractor_{metric}"] = scored(y[rows], distractor[rows])
        if metric == "auroc":
            out[f"{split}_positive_rate"] = float(y[rows].mean())
    return out

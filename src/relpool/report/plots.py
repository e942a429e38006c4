"""The report's figures as PNG bytes, one function per kind of plot (matplotlib, Agg: no display)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import metrics as skm  # noqa: E402

from relpool.train.metrics import ranking_metrics  # noqa: E402

MAX_CLASSES = 12  # confusion matrices beyond this many classes become unreadable; the rest is "other"
BASELINE_STYLES = ("--", ":", "-.")


def png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, dpi=100, format="png")
    plt.close(fig)
    return buffer.getvalue()


def learning_curves(history: list[dict], metric: str, best_epoch: int, baselines: dict[str, float | None]) -> bytes:
    """Training loss and validation metric per epoch; baselines' validation scores as horizontal lines."""
    epochs = [h["epoch"] for h in history]
    fig, (loss_ax, val_ax) = plt.subplots(1, 2, figsize=(10, 3.6))
    loss_ax.plot(epochs, [h["loss"] for h in history], marker="o", color="#3b6db3")
    loss_ax.set(title="training loss", xlabel="epoch", ylabel="loss")
    val_ax.plot(epochs, [h["val"][metric] for h in history], marker="o", color="#3b6db3", label="GNN")
    val_ax.axvline(best_epoch, color="#999999", linewidth=1, label=f"best epoch ({best_epoch})")
    for style, (name, value) in zip(BASELINE_STYLES, baselines.items()):
        if value is not None:
            val_ax.axhline(value, linestyle=style, color="#c0504d", label=f"{name} baseline")
    val_ax.set(title=f"validation {metric}", xlabel="epoch", ylabel=metric)
    val_ax.legend(fontsize=8)
    for ax in (loss_ax, val_ax):
        ax.xaxis.get_major_locator().set_params(integer=True)
    return png(fig)


def binary_curves(labels: pd.Series, probability: pd.Series) -> bytes | None:
    """ROC and precision-recall curves; None when the split holds one class only (both are undefined)."""
    y = labels.astype(bool).to_numpy()
    if y.all() or not y.any():
        return None
    fig, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(10, 4))
    fpr, tpr, _ = skm.roc_curve(y, probability)
    roc_ax.plot(fpr, tpr, color="#3b6db3", label=f"GNN (AUROC {skm.roc_auc_score(y, probability):.3f})")
    roc_ax.plot([0, 1], [0, 1], linestyle="--", color="#999999", label="chance")
    roc_ax.set(title="ROC curve (test)", xlabel="false positive rate", ylabel="true positive rate")
    precision, recall, _ = skm.precision_recall_curve(y, probability)
    pr_ax.plot(recall, precision, color="#3b6db3",
               label=f"GNN (AP {skm.average_precision_score(y, probability):.3f})")
    pr_ax.axhline(y.mean(), linestyle="--", color="#999999", label=f"positive rate {y.mean():.3f}")
    pr_ax.set(title="precision-recall curve (test)", xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    for ax in (roc_ax, pr_ax):
        ax.legend(fontsize=8)
    return png(fig)


def regression_plots(labels: pd.Series, predicted: pd.Series) -> bytes:
    """Predicted against actual (the diagonal is perfect), and residuals against predicted."""
    actual, predicted = labels.astype(float).to_numpy(), predicted.astype(float).to_numpy()
    fig, (fit_ax, res_ax) = plt.subplots(1, 2, figsize=(10, 4))
    fit_ax.scatter(actual, predicted, s=8, alpha=0.4, color="#3b6db3")
    low, high = min(actual.min(), predicted.min()), max(actual.max(), predicted.max())
    fit_ax.plot([low, high], [low, high], linestyle="--", color="#999999", label="perfect")
    fit_ax.set(title="predicted vs actual (test)", xlabel="actual", ylabel="predicted")
    fit_ax.legend(fontsize=8)
    res_ax.scatter(predicted, actual - predicted, s=8, alpha=0.4, color="#3b6db3")
    res_ax.axhline(0, linestyle="--", color="#999999")
    res_ax.set(title="residuals (test)", xlabel="predicted", ylabel="actual - predicted")
    return png(fig)


def confusion(labels: pd.Series, predicted: pd.Series) -> bytes:
    """Confusion matrix with counts; classes beyond the MAX_CLASSES most frequent are pooled as "other"."""
    actual, predicted = labels.astype(str), predicted.astype(str)
    shown = actual.value_counts().index[:MAX_CLASSES].tolist()
    names = shown + (["other"] if actual.nunique() > len(shown) or not predicted.isin(shown).all() else [])
    counts = skm.confusion_matrix(actual.where(actual.isin(shown), "other"),
                                  predicted.where(predicted.isin(shown), "other"), labels=names)
    size = 3 + 0.45 * len(names)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(counts, cmap="Blues")
    for (row, col), value in np.ndenumerate(counts):
        ax.text(col, row, f"{value:,}", ha="center", va="center", fontsize=8,
                color="white" if value > counts.max() / 2 else "black")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(title="confusion matrix (test)", xlabel="predicted", ylabel="actual")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return png(fig)


def ranking_curves(labels: pd.Series, top_k: pd.Series, k: int) -> bytes:
    """MAP@j and recall@j for every j up to k, and the share of entities with at least one hit in their top j."""
    cutoffs = list(range(1, k + 1))
    truth, ranked = list(labels), list(top_k)
    scores = [ranking_metrics(truth, ranked, j) for j in cutoffs]
    hits = [np.mean([bool(set(t) & set(list(r)[:j])) for t, r in zip(truth, ranked)]) for j in cutoffs]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(cutoffs, [s[f"map@{j}"] for s, j in zip(scores, cutoffs)], marker="o", label="MAP@j")
    ax.plot(cutoffs, [s[f"recall@{j}"] for s, j in zip(scores, cutoffs)], marker="s", label="recall@j")
    ax.plot(cutoffs, hits, marker="^", label="hit rate@j (any true item in the top j)")
    ax.set(title="ranking quality by list length (test)", xlabel="j (items recommended)", ylim=(0, 1.02))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8)
    return png(fig)

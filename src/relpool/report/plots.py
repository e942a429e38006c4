"""The report's figures as PNG bytes, one function per kind of plot (matplotlib, Agg: no display)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import metrics as skm  # noqa: E402

from relpool.tasks.metrics import ranking_metrics  # noqa: E402

MAX_CLASSES = 12  # confusion matrices beyond this many classes become unreadable; the rest is "other"
BASELINE_STYLES = ("--", ":", "-.")
MEMBER_COLOURS = ("#3b6db3", "#4bacc6", "#1f3f6e")


def png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, dpi=100, format="png")
    plt.close(fig)
    return buffer.getvalue()


def learning_curves(
    history: list[dict],
    metric: str,
    best_epoch: int,
    baselines: dict[str, float | None],
    members: list[tuple[str, list[dict]]] | None = None,
) -> bytes:
    """Training loss and validation metric per epoch; baselines' validation scores as horizontal lines.
    ``members``: a seed ensemble's networks as (label, history), the first's being ``history``, drawn
    side by side (the first solid, the others lighter)."""
    fig, (loss_ax, val_ax) = plt.subplots(1, 2, figsize=(10, 3.6))
    curves = members or [("GNN", history)]
    for i, (label, curve) in enumerate(curves):
        style = {"marker": "o", "color": MEMBER_COLOURS[i % len(MEMBER_COLOURS)], "alpha": 1.0 if i == 0 else 0.6}
        epochs = [h["epoch"] for h in curve]
        loss_ax.plot(epochs, [h["loss"] for h in curve], **style)
        values = [np.nan if h["val"][metric] is None else h["val"][metric] for h in curve]  # None: undefined
        val_ax.plot(epochs, values, label=label, **style)
    loss_ax.set(title="training loss", xlabel="epoch", ylabel="loss")
    if not members:  # an ensemble's labels give each member's best epoch
        val_ax.axvline(best_epoch, color="#999999", linewidth=1, label=f"best epoch ({best_epoch})")
    for dash, (name, value) in zip(BASELINE_STYLES, baselines.items()):
        if value is not None:
            val_ax.axhline(value, linestyle=dash, color="#c0504d", label=f"{name} baseline")
    val_ax.set(title=f"validation {metric}", xlabel="epoch", ylabel=metric)
    val_ax.legend(fontsize=8)
    for ax in (loss_ax, val_ax):
        ax.xaxis.get_major_locator().set_params(integer=True)
    return png(fig)


def _styles(names) -> list[dict]:
    """The GNN (first) solid blue; each baseline its own colour and dash."""
    colours = ("#c0504d", "#9bbb59", "#8064a2")
    return [
        {"color": "#3b6db3", "linestyle": "-"}
        if i == 0
        else {"color": colours[(i - 1) % len(colours)], "linestyle": BASELINE_STYLES[(i - 1) % len(BASELINE_STYLES)]}
        for i, _ in enumerate(names)
    ]


def binary_curves(predictions: dict[str, pd.DataFrame]) -> bytes | None:
    """ROC and precision-recall curves of every model (label, probability); None when the test split
    holds one class only (both are undefined)."""
    first = next(iter(predictions.values()))
    y = first["label"].astype(bool).to_numpy()
    if y.all() or not y.any():
        return None
    fig, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for (name, frame), style in zip(predictions.items(), _styles(predictions)):
        labels, probability = frame["label"].astype(bool).to_numpy(), frame["probability"].to_numpy()
        fpr, tpr, _ = skm.roc_curve(labels, probability)
        roc_ax.plot(fpr, tpr, **style, label=f"{name} (AUROC {skm.roc_auc_score(labels, probability):.3f})")
        precision, recall, _ = skm.precision_recall_curve(labels, probability)
        pr_ax.plot(
            recall, precision, **style, label=f"{name} (AP {skm.average_precision_score(labels, probability):.3f})"
        )
    roc_ax.plot([0, 1], [0, 1], linestyle=":", color="#999999", label="chance")
    roc_ax.set(title="ROC curve (test)", xlabel="false positive rate", ylabel="true positive rate")
    pr_ax.axhline(y.mean(), linestyle=":", color="#999999", label=f"positive rate {y.mean():.3f}")
    pr_ax.set(title="precision-recall curve (test)", xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    for ax in (roc_ax, pr_ax):
        ax.legend(fontsize=8)
    return png(fig)


def regression_plots(predictions: dict[str, pd.DataFrame]) -> bytes:
    """The GNN's (first) predicted against actual (the diagonal is perfect) and residuals; then, for
    every model, the share of examples predicted within each absolute error."""
    gnn = next(iter(predictions.values()))
    actual, predicted = gnn["label"].astype(float).to_numpy(), gnn["prediction"].astype(float).to_numpy()
    fig, (fit_ax, res_ax, error_ax) = plt.subplots(1, 3, figsize=(15, 4))
    fit_ax.scatter(actual, predicted, s=8, alpha=0.4, color="#3b6db3")
    low, high = min(actual.min(), predicted.min()), max(actual.max(), predicted.max())
    fit_ax.plot([low, high], [low, high], linestyle="--", color="#999999", label="perfect")
    fit_ax.set(title="GNN: predicted vs actual (test)", xlabel="actual", ylabel="predicted")
    fit_ax.legend(fontsize=8)
    res_ax.scatter(predicted, actual - predicted, s=8, alpha=0.4, color="#3b6db3")
    res_ax.axhline(0, linestyle="--", color="#999999")
    res_ax.set(title="GNN: residuals (test)", xlabel="predicted", ylabel="actual - predicted")
    for (name, frame), style in zip(predictions.items(), _styles(predictions)):
        errors = np.sort(np.abs(frame["label"].astype(float).to_numpy() - frame["prediction"].astype(float).to_numpy()))
        error_ax.plot(
            errors, np.arange(1, len(errors) + 1) / len(errors), **style, label=f"{name} (MAE {errors.mean():.3g})"
        )
    error_ax.set(
        title="share of examples within an absolute error (test)",
        xlabel="absolute error",
        ylabel="share of examples",
        ylim=(0, 1.02),
    )
    error_ax.set_xlim(0, np.quantile(np.abs(actual - predicted), 0.98) * 1.5 or 1)
    error_ax.legend(fontsize=8)
    return png(fig)


def confusion(labels: pd.Series, predicted: pd.Series) -> bytes:
    """Confusion matrix with counts; classes beyond the MAX_CLASSES most frequent are pooled as "other"."""
    actual, predicted = labels.astype(str), predicted.astype(str)
    shown = actual.value_counts().index[:MAX_CLASSES].tolist()
    names = shown + (["other"] if actual.nunique() > len(shown) or not predicted.isin(shown).all() else [])
    counts = skm.confusion_matrix(
        actual.where(actual.isin(shown), "other"), predicted.where(predicted.isin(shown), "other"), labels=names
    )
    size = 3 + 0.45 * len(names)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(counts, cmap="Blues")
    for (row, col), value in np.ndenumerate(counts):
        ax.text(
            col,
            row,
            f"{value:,}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if value > counts.max() / 2 else "black",
        )
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(title="confusion matrix (test)", xlabel="predicted", ylabel="actual")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return png(fig)


def ranking_curves(predictions: dict[str, pd.DataFrame], k: int) -> bytes:
    """The GNN's (first) MAP@j, recall@j and hit rate@j (any true item in the top j) for every j up
    to k; then every model's MAP@j."""
    cutoffs = list(range(1, k + 1))
    gnn = next(iter(predictions.values()))
    truth, ranked = list(gnn["label"]), list(gnn["top_k"])
    scores = [ranking_metrics(truth, ranked, j) for j in cutoffs]
    hits = [np.mean([bool(set(t) & set(list(r)[:j])) for t, r in zip(truth, ranked)]) for j in cutoffs]
    fig, (gnn_ax, all_ax) = plt.subplots(1, 2, figsize=(11, 4))
    gnn_ax.plot(cutoffs, [s[f"map@{j}"] for s, j in zip(scores, cutoffs)], marker="o", label="MAP@j")
    gnn_ax.plot(cutoffs, [s[f"recall@{j}"] for s, j in zip(scores, cutoffs)], marker="s", label="recall@j")
    gnn_ax.plot(cutoffs, hits, marker="^", label="hit rate@j (any true item in the top j)")
    gnn_ax.set(title="GNN: ranking quality by list length (test)", xlabel="j (items recommended)", ylim=(0, 1.02))
    for (name, frame), style in zip(predictions.items(), _styles(predictions)):
        pairs = list(frame["label"]), list(frame["top_k"])
        all_ax.plot(cutoffs, [ranking_metrics(*pairs, j)[f"map@{j}"] for j in cutoffs], marker="o", **style, label=name)
    all_ax.set(title="MAP@j of every model (test)", xlabel="j (items recommended)", ylim=(0, 1.02))
    for ax in (gnn_ax, all_ax):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)
    return png(fig)


def reliability_diagram(tables: dict[str, pd.DataFrame]) -> bytes:
    """Each model's observed positive rate against its mean probability per bin (:func:`~relpool.report.
    calibration.reliability`); on the diagonal, probabilities mean what they say."""
    fig, ax = plt.subplots(figsize=(5, 4.2))
    ax.plot([0, 1], [0, 1], linestyle=":", color="#999999", label="perfectly calibrated")
    for (name, bins), style in zip(tables.items(), _styles(tables)):
        ax.plot(bins["mean_probability"], bins["positive_rate"], marker="o", **style, label=name)
    ax.set(
        title="reliability (test)", xlabel="mean predicted probability", ylabel="observed positive rate", xlim=(0, 1)
    )
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    return png(fig)


def score_histograms(predictions: dict[str, pd.DataFrame]) -> bytes:
    """Per model, how its probabilities spread over positives and negatives (each as a share of its class)."""
    fig, axes = plt.subplots(1, len(predictions), figsize=(3.2 * len(predictions) + 0.5, 3.2), squeeze=False)
    edges = np.linspace(0, 1, 21)
    for ax, (name, frame) in zip(axes[0], predictions.items()):
        y, p = frame["label"].astype(bool).to_numpy(), frame["probability"].to_numpy(float)
        for part, colour, label in ((~y, "#999999", "negatives"), (y, "#3b6db3", "positives")):
            if part.any():
                ax.hist(
                    p[part],
                    bins=edges,
                    weights=np.full(part.sum(), 1 / part.sum()),
                    alpha=0.6,
                    color=colour,
                    label=label,
                )
        ax.set(title=f"{name} (test)", xlabel="predicted probability", ylabel="share of the class", xlim=(0, 1))
        ax.legend(fontsize=8)
    return png(fig)

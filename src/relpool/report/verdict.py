"""The report's verdict: which model won, on validation and on test, by how much, and whether that is
more than the luck of a small test split (seeded bootstrap intervals, the difference paired)."""

from __future__ import annotations

import pandas as pd

from relpool.report.bootstrap import LEVEL, Bootstrap, bootstrap
from relpool.report.candidates import candidates, chosen_label, threshold
from relpool.report.html import paragraph, section, table
from relpool.tasks import is_better, task_kind

NAMES = {"auroc": "AUROC", "average_precision": "average precision", "f1": "F1", "mae": "MAE", "rmse": "RMSE"}
NAMES |= {"r2": "R²", "macro_f1": "macro F1"}


def metric_label(metric: str) -> str:
    """A metric as people write it (map@10 -> MAP@10)."""
    return NAMES.get(metric, metric.replace("map@", "MAP@"))


def number(value: float) -> str:
    """Three decimals with a true minus sign, as the verdict's sentences write differences."""
    return f"{value:.3f}".replace("-", "−")


def verdict_section(
    task_type: str, k: int | None, gnn: dict, baselines: dict[str, dict], predictions: dict[str, pd.DataFrame]
) -> str:
    """Validation's ranking (and the run's choice), test's leader against its closest rival with a paired
    interval, and every model's test metrics with intervals, from the test ``predictions``."""
    models, main = candidates(gnn, baselines), gnn["metric"]
    parts = [paragraph(validation_sentence(models, main, chosen_label(gnn), gnn.get("chosen_because")))]
    first = next(iter(predictions.values()))
    if first.empty:
        return section("Verdict", *parts, paragraph("The test split is empty: nothing to compare on test."))
    kind = task_kind(task_type)
    thresholds = {name: t for name, m in models.items() if (t := threshold(m)) is not None}
    drawn = bootstrap(task_type, predictions, k, thresholds)
    points = {name: point_scores(kind.name, frame, k, models.get(name)) for name, frame in predictions.items()}
    lower = main in kind.lower_is_better
    parts += [paragraph(s) for s in test_sentences(drawn, points, main, lower, chosen_label(gnn))]
    metrics = [m for m in next(iter(points.values())) if m != "threshold"]  # a setting, shown beside F1
    rows = [[name, *(_with_interval(points[name][m], drawn.interval(name, m)) for m in metrics)] for name in points]
    units = f"{len(first.drop_duplicates('entity')):,} test entities" if drawn.units == "entities" else ""
    about = (
        f"Test metrics with {LEVEL:.0%} intervals from {drawn.resamples:,} seeded bootstrap resamples of the "
        f"{units or f'{len(first):,} test examples'}; every model is scored on the same resamples, so differences "
        "are paired. A difference whose interval holds 0 may be the luck of this test split."
    )
    headers = ["model", *(f"test {metric_label(m)} ({LEVEL:.0%} CI)" for m in metrics)]
    return section("Verdict", *parts, table(headers, rows), paragraph(about, note=True))


def point_scores(kind: str, frame: pd.DataFrame, k: int | None, metrics: dict | None) -> dict[str, float | None]:
    """The kind's test metrics of ``frame``; F1 at the model's own threshold where it has one (its metrics'
    value: the kind scores F1 at 0.5)."""
    column = task_kind(kind).column
    found = threshold(metrics) if metrics is not None else None
    scores = task_kind(kind).score(frame["label"], frame[column], k, None if found is None else {"threshold": found})
    return scores


def validation_sentence(models: dict[str, dict], main: str, chosen: str | None, because: str | None) -> str:
    """Who leads on validation: the score the choice is made on."""
    ranked = _ranked({name: m["val"].get(main) for name, m in models.items()}, main)
    if not ranked:
        return f"Validation {metric_label(main)} is undefined for every model: the validation split cannot rank them."
    text = f"On validation, {ranked[0][0]} scores best ({ranked[0][1]:.4f} {metric_label(main)})"
    text += f", ahead of {ranked[1][0]} ({ranked[1][1]:.4f})." if len(ranked) > 1 else "."
    if chosen:
        text += f" The run chose {chosen}" + (f": {because.rstrip('.')}." if because else ".")
    return text


def test_sentences(drawn: Bootstrap, points: dict[str, dict], main: str, lower: bool, chosen: str | None) -> list[str]:
    """The test leader against the runner-up, and against the chosen model when that is neither."""
    ranked = _ranked({name: p.get(main) for name, p in points.items()}, main)
    if len(ranked) < 2:
        return [f"Fewer than two models have a test {metric_label(main)}: there is nothing to compare."]
    rivals = [ranked[1][0]] + ([chosen] if chosen in points and chosen not in (ranked[0][0], ranked[1][0]) else [])
    return [difference_sentence(drawn, ranked[0][0], rival, points, main, lower) for rival in rivals]


def difference_sentence(drawn: Bootstrap, leader: str, rival: str, points: dict, main: str, lower: bool) -> str:
    """E.g. "autofeat baseline leads GNN by 0.021 AUROC on test (95% CI −0.004 to 0.046): not a clear difference"."""
    gap = abs(points[leader][main] - points[rival][main])
    text = f"{leader} leads {rival} by {number(gap)} {metric_label(main)} on test"
    interval = drawn.difference(leader, rival, main, lower)
    if interval is None:
        return f"{text}; the difference's interval is undefined (the metric is undefined on most resamples)."
    low, high = interval
    clear = "a clear difference" if low > 0 else "not a clear difference"
    return f"{text} ({LEVEL:.0%} CI {number(low)} to {number(high)}): {clear}."


def _ranked(values: dict[str, float | None], main: str) -> list[tuple[str, float]]:
    """Models with a defined ``main`` value, best first (ties keep the given order)."""
    ranked: list[tuple[str, float]] = []
    for name, value in values.items():
        if value is None:
            continue
        at = next((i for i, (_, v) in enumerate(ranked) if is_better(main, value, v)), len(ranked))
        ranked.insert(at, (name, value))
    return ranked


def _with_interval(point: float | None, interval: tuple[float, float] | None) -> str:
    if point is None:
        return "n/a"
    return f"{point:.4f}" + (f" ({interval[0]:.4f} to {interval[1]:.4f})" if interval else "")

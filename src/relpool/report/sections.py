"""The report's sections as HTML: the task, GNN vs baselines, learning curves, test-set plots, the schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from relpool.db.inspection import Inspection
from relpool.report import plots
from relpool.report.candidates import candidates, chosen_label, threshold
from relpool.report.diagram import draw_schema
from relpool.report.fit_view import still_improving, validation_undefined
from relpool.report.html import code, image, paragraph, section, table
from relpool.report.task_view import cutoff_text, entity_text, stats_text
from relpool.tasks import is_better, metric_text, task_kind


def task_section(summary: dict) -> str:
    entity, window = summary["entity"], summary["window"]
    facts = [
        f"Task type {summary['task_type']}, main metric {summary['metrics'][0]}; "
        f"{entity['count']:,} entities of {entity_text(entity)}."
    ]
    if window:
        facts.append(f"Label window ({window['start']}, {window['end']}] {window['unit']} after each cutoff.")
    if summary["hidden_columns"]:
        facts.append(f"Hidden from every input: {', '.join(summary['hidden_columns'])}.")
    rows = [
        [
            name,
            split["rows"],
            cutoff_text(split["cutoffs"]),
            stats_text(split["label_stats"]),
            split["dropped_without_label"],
        ]
        for name, split in summary["splits"].items()
    ]
    return section(
        "Task",
        code(summary["query"]),
        *(paragraph(f) for f in facts + summary["notes"]),
        table(["split", "examples", "cutoffs", "label statistics", "dropped (no label)"], rows),
    )


def metrics_section(gnn: dict, baselines: dict[str, dict]) -> str:
    """One row per model (every candidate the run lists, else the GNN and the baselines); bold: the chosen
    one, or, without a choice, the best on the main test metric. F1 shows its threshold where there is one."""
    main, names = gnn["metric"], [n for n in gnn["test"] if n != "threshold"]
    models, chosen = candidates(gnn, baselines), chosen_label(gnn)
    if not gnn.get("models"):
        models = {f"GNN ({gnn['pool']} pooling)" if label == "GNN" else label: m for label, m in models.items()}
    best, best_row = None, None
    for i, (label, m) in enumerate(models.items()):
        value = m["test"].get(main)
        if chosen is None and value is not None and is_better(main, value, best):
            best, best_row = value, i
        if label == chosen:
            best_row = i
    rows = [
        [
            label,
            m.get("n_train", gnn["n_train"]),
            m["val"].get(main),
            *(_metric_cell(m, n) for n in names),
            f"{m['seconds']:.1f} s" if "seconds" in m else "n/a",
        ]
        for label, m in models.items()
    ]
    headers = ["model", "training examples", f"val {main}", *(f"test {n}" for n in names), "seconds"]
    note = (
        (
            "entity: LightGBM on the entity table's own columns; autofeat: LightGBM on aggregates along every "
            "foreign-key path. "
            + _blend_note(gnn)
            + "All models see the same splits and the same time rule; bold: "
            + (
                f"the chosen model ({gnn.get('chosen_because') or 'the best on validation'})."
                if chosen
                else f"the best test {main}."
            )
        )
        if len(models) > 1
        else "Baselines were not run (--no-baselines)."
    )
    return section("Metrics", table(headers, rows, main_row=best_row), paragraph(note, note=True))


def _blend_note(gnn: dict) -> str:
    """What the blend row is: its weight, and why its validation score is not the tuned one."""
    blend = (gnn.get("models") or {}).get("blend")
    if not blend:
        return ""
    main = gnn["metric"]
    tuned = metric_text(blend.get("val_tuned", {}).get(main))
    space = " in log-odds" if blend.get("space") == "logit" else ""
    return (
        f"blend: {blend['weight']:g} × network + {1 - blend['weight']:g} × autofeat{space}, the weight chosen on "
        f"validation; its val is cross-fitted over two halves of the validation entities (tuned on all of "
        f"val: {tuned}). "
    )


def _metric_cell(metrics: dict, name: str) -> str | float | None:
    """A test metric; F1 with the validation-chosen threshold it was computed at, where it has one."""
    value, at = metrics["test"].get(name), threshold(metrics)
    if name != "f1" or at is None:
        return value
    return f"{metric_text(value)} at threshold {at:.3g}"


def learning_section(gnn: dict, baselines: dict[str, dict]) -> str:
    main = gnn["metric"]
    members = [m for m in gnn.get("members", []) if "history" in m]  # a seed ensemble's (older ones: none)
    curves = [(f"seed {m['seed']} (best epoch {m['best_epoch']})", m["history"]) for m in members] or None
    png = plots.learning_curves(
        gnn["history"], main, gnn["best_epoch"], {kind: m["val"][main] for kind, m in baselines.items()}, curves
    )
    kept = f"The weights of epoch {gnn['best_epoch']} (best validation {main}) are kept."
    if curves:
        kept = (
            f"The served model averages {len(members)} networks trained from seeds "
            f"{', '.join(str(m['seed']) for m in members)}, each kept at its best validation epoch."
        )
    if validation_undefined(gnn):
        kept = f"Validation {main} is undefined (n/a), so the weights of the last epoch, {gnn['best_epoch']}, are kept."
    if still_improving(gnn):
        kept += f" Validation {main} was still improving at the last epoch: more epochs may give a better model."
    return section(
        "Learning curves", image(png, "training loss and validation metric per epoch"), paragraph(kept, note=True)
    )


def evaluation_section(task_type: str, predictions: dict[str, pd.DataFrame], k: int | None) -> str:
    """The test split's plots for the task type: the GNN's ("GNN", first) and the baselines' predictions."""
    plots_of = task_kind(task_type).plots
    if plots_of == "roc":
        png = plots.binary_curves(predictions)
        if png is None:
            return section(
                "Test set",
                paragraph("The test split holds one class only: ROC and precision-recall curves are undefined."),
            )
        return section("Test set", image(png, "ROC and precision-recall curves"))
    if plots_of == "residuals":
        return section(
            "Test set",
            image(
                plots.regression_plots(predictions),
                "predicted vs actual, residuals, and the share of examples within each error",
            ),
        )
    if plots_of == "confusion":
        main = next(iter(predictions.values()))
        return section(
            "Test set", image(plots.confusion(main["label"], main["prediction"]), "confusion matrix of the GNN")
        )
    assert k is not None  # ranking plots: a ranking query has RANK TOP k
    return section("Test set", image(plots.ranking_curves(predictions, k), "MAP, recall and hit rate by list length"))


def schema_section(inspection: Inspection, title: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schema.png"
        draw_schema(inspection.schema, inspection.rows, path, title)
        png = path.read_bytes()
    return section("Schema", image(png, "entity-relationship diagram"))

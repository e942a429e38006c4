"""The report's "Calibration and top of the list" for binary tasks: can the probabilities be read as
rates, how do they spread by label, and how many positives lie among the k highest scores."""

from __future__ import annotations

import pandas as pd

from relpool.report import plots
from relpool.report.calibration import brier, calibration_error, precision_at, reliability, top_sizes
from relpool.report.html import image, paragraph, section, table


def calibration_section(predictions: dict[str, pd.DataFrame]) -> str:
    """``predictions``: each model's test frame (label, probability), the main model first."""
    first = next(iter(predictions.values()))
    if first.empty:
        return section("Calibration and top of the list", paragraph("The test split is empty."))
    bins = {name: reliability(f["label"], f["probability"]) for name, f in predictions.items()}
    sizes = top_sizes(len(first))
    rows = [
        [
            name,
            float(f["probability"].mean()),
            float(f["label"].astype(bool).mean()),
            brier(f["label"], f["probability"]),
            calibration_error(bins[name]),
            *(precision_at(f["label"], f["probability"], k) for k in sizes),
        ]
        for name, f in predictions.items()
    ]
    headers = ["model", "mean probability", "positive rate", "Brier score", "calibration error"]
    about = (
        "Calibration error: the examples-weighted mean gap between the mean probability and the positive rate in "
        "ten equal-width probability bins (0: the probabilities are the rates). precision@k: the share of positives "
        "among the k examples scored highest, what acting on a short list would find."
    )
    return section(
        "Calibration and top of the list",
        table(headers + [f"precision@{k}" for k in sizes], rows),
        paragraph(about, note=True),
        image(plots.reliability_diagram(bins), "reliability diagram of every model"),
        image(plots.score_histograms(predictions), "predicted probabilities by label, per model"),
    )

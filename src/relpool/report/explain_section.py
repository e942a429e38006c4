"""The report's "What the model relies on": the GNN's attribution shares by table and column, averaged
over a seeded sample of test examples, beside the autofeat LightGBM's SHAP values by source table, and a
few example explanations with their top rows. A view: the workflow computes all of it and hands it here."""

from __future__ import annotations

import json

from relpool.report.html import paragraph, section, table

MAX_COLUMNS = 15
MAX_VALUES_TEXT = 120


def reliance_section(reliance: dict) -> str:
    """``reliance``: ``examples`` (how many were explained), ``tables`` ([{table, gnn, autofeat}], autofeat
    None where no SHAP values exist), ``columns`` ([{table, column, score}], largest first) and ``cases``
    ([{title, entity, cutoff, label, prediction, rows: [{table, key, score, values}]}])."""
    shap = any(t["autofeat"] is not None for t in reliance["tables"])
    tables = table(
        ["table", "GNN attribution share", "autofeat SHAP share"],
        [[t["table"], t["gnn"], t["autofeat"]] for t in reliance["tables"]],
    )
    columns = table(
        ["table", "column", "GNN attribution share"],
        [[c["table"], c["column"], c["score"]] for c in reliance["columns"][:MAX_COLUMNS]],
    )
    about = (
        f"GNN: occlusion shares (each example's row scores, split over columns by integrated gradients, tables summing "
        f"to 1), averaged over {reliance['examples']:,} seeded test examples. "
        + (
            "autofeat: mean |SHAP value| (LightGBM pred_contrib) of its features on the test rows, summed by "
            "the table each feature is computed from, as shares. "
            if shap
            else "No autofeat SHAP values (the baseline did not run, or ranks without a model). "
        )
        + "Both say what the models' outputs are sensitive to, not what causes the label."
    )
    cases = [part for case in reliance["cases"] for part in _case(case)]
    return section(
        "What the model relies on",
        paragraph(about, note=True),
        tables,
        paragraph(f"The GNN's {MAX_COLUMNS} most attributed columns (_age: a row's age at the cutoff).", note=True),
        columns,
        *cases,
    )


def _case(case: dict) -> list[str]:
    head = (
        f"{case['title']}: {case['entity']} at {case['cutoff']}, label {_text(case['label'])}, "
        f"prediction {_text(case['prediction'])}"
    )
    rows = [[r["table"], _text(r["key"]), r["score"], _values(r.get("values", {}))] for r in case["rows"]]
    return [paragraph(head), table(["table", "key", "share", "values"], rows)]


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {v}" for k, v in value.items())
    return str(value) if not isinstance(value, list) else json.dumps(value, default=str)


def _values(values: dict) -> str:
    text = ", ".join(f"{k} = {v}" for k, v in values.items())
    return text if len(text) <= MAX_VALUES_TEXT else text[: MAX_VALUES_TEXT - 1] + "…"

"""Terminal view of one explanation (the dict ``relpool explain --json`` prints): tables, columns, rows."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

COLUMNS_SHOWN = 10


def render_explanation(explanation: dict, console: Console) -> None:
    prediction = explanation["prediction"]
    if "probability" in explanation:
        prediction = f"{prediction} (probability {explanation['probability']:.3f})"
    elif isinstance(prediction, float):
        prediction = f"{prediction:.4g}"
    console.print(
        f"entity {explanation['entity']} at {explanation['cutoff']}: prediction {prediction}",
        highlight=False,
        soft_wrap=True,
    )
    if explanation.get("note"):  # e.g. a served blend: only its network part is explained
        console.print(f"note: {explanation['note']}", style="yellow", highlight=False, soft_wrap=True)
    tables = Table(title="tables (share of the row scores)", title_justify="left")
    tables.add_column("table")
    tables.add_column("share", justify="right")
    for entry in explanation["tables"]:
        tables.add_row(entry["table"], _share(entry["score"]))
    columns = Table(title=f"columns (top {COLUMNS_SHOWN})", title_justify="left")
    for name in ("table", "column"):
        columns.add_column(name)
    columns.add_column("share", justify="right")
    for entry in explanation["columns"][:COLUMNS_SHOWN]:
        columns.add_row(entry["table"], entry["column"], _share(entry["score"]))
    rows = Table(title=f"rows (top {len(explanation['rows'])})", title_justify="left")
    attended = any("attention" in entry for entry in explanation["rows"])  # an attention pool's model
    for name in ("table", "key", "share", *(("attention",) if attended else ()), "path", "values"):
        rows.add_column(name, justify="right" if name in ("share", "attention") else "left")
    for entry in explanation["rows"]:
        attention = (_share(entry["attention"]) if "attention" in entry else "",) if attended else ()
        rows.add_row(
            entry["table"],
            _pairs(entry["key"]),
            _share(entry["score"]),
            *attention,
            " > ".join(entry["path"]),
            _pairs(entry["values"]),
        )
    for table in (tables, columns, rows):
        console.print(table)
    console.print(
        "scores: rows by how much the output moves without each (occlusion), split over columns by gradients; "
        + ("attention: the pools' weights along the row's path; " if attended else "")
        + "one sampled subgraph; not causal",
        style="dim",
    )


def _share(score: float) -> str:
    return f"{100 * score:.1f}%"


def _pairs(values: dict) -> str:
    return ", ".join(f"{k}={json.dumps(v) if isinstance(v, str) else v}" for k, v in values.items())

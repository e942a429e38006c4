"""The report's "Model settings" and "Data warnings": what the numbers were trained with, and what in the
data may make them less than they seem (dangling keys dropped, times unread, one-class splits)."""

from __future__ import annotations

from relpool.db.inspection import Inspection
from relpool.report.html import paragraph, section, table

RUN_FACTS = ("best_epoch", "epochs_run", "n_train", "n_val", "n_test")


def settings_section(gnn: dict, options: dict | None) -> str:
    """``options``: the run's FitOptions as config.json stores them (nested ``loop`` flattened), or None for
    a caller that has none: then what the metrics themselves say (the pooling, the epochs)."""
    options = options if options is not None else gnn.get("options")
    given = _flat(options) if options else {"pool": gnn["pool"]}
    facts = {name: gnn[name] for name in RUN_FACTS if name in gnn}
    rows = [[name, _text(value)] for name, value in {**given, **facts}.items()]
    parts = [table(["setting", "value"], rows)]
    if not options:
        parts.append(paragraph('The run\'s other options are in its config.json ("options").', note=True))
    return section("Model settings", *parts)


def warnings_section(inspection: Inspection, task_warnings: list[str]) -> str:
    """Every warning and note ``inspect`` raised about the data, then the task's warnings it did not."""
    problems = [p for p in inspection.validation.problems if p.level != "error"]
    seen = {p.message for p in problems}
    rows = [[p.level, p.table, p.message] for p in problems]
    rows += [["warning", "task", w] for w in task_warnings if w not in seen]
    if not rows:
        return section(
            "Data warnings", paragraph("inspect raised no warnings about the data, nor the task about its labels.")
        )
    return section("Data warnings", table(["level", "table", "what"], rows))


def _flat(options: dict) -> dict:
    """Nested option groups (``loop``) as their own rows."""
    out = {}
    for name, value in options.items():
        out.update(_flat(value) if isinstance(value, dict) else {name: value})
    return out


def _text(value) -> str | int:
    """Lists (a fanout) as the CLI writes them, floats unrounded (a learning rate of 1e-5), unset options
    (cutoffs the task chose) as "automatic"."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if value is None:
        return "automatic"
    if isinstance(value, float):
        return f"{value:g}"
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)

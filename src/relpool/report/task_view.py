"""Terminal rendering of a task: type, entities, rows and label statistics per split, cutoffs."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from relpool.query.ast import written_name


def cutoff_text(cutoffs: list[str]) -> str:
    if len(cutoffs) <= 2:
        return ", ".join(cutoffs)
    return f"{cutoffs[0]} .. {cutoffs[-1]} ({len(cutoffs)} cutoffs)"


def stats_text(stats: dict) -> str:
    parts = []
    for key, value in stats.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k}: {v:,}" for k, v in list(value.items())[:5])
            parts.append(f"{key}: {shown}{', ...' if len(value) > 5 else ''}")
        elif isinstance(value, float):
            parts.append(f"{key} {value:.4g}")
        else:
            parts.append(f"{key} {value:,}")
    return "; ".join(parts)


def entity_text(entity: dict) -> str:
    """The entity key as a query writes it ("user table"."user id", quoted where needed)."""
    return f"{written_name(entity['table'])}.{written_name(entity['column'])}"


def render_task(summary: dict, console: Console) -> None:
    entity = summary["entity"]
    console.print(f"[bold]{summary['query']}[/]")
    console.print(
        f"task type [bold]{summary['task_type']}[/], metrics {', '.join(summary['metrics'])}; "
        f"{entity['count']:,} entities of {entity_text(entity)}; built in {summary['seconds']:.2f} s"
    )
    for line in summary["notes"]:
        console.print(f"[yellow]note:[/] {line}")
    for line in summary.get("warnings", []):
        console.print(f"[bold yellow]warning:[/] {line}")
    if summary["hidden_columns"]:
        console.print(f"hidden from every input: {', '.join(summary['hidden_columns'])}")
    table = Table(title="Splits", title_justify="left")
    for header in ("split", "rows", "cutoffs", "labels", "dropped (no label)"):
        table.add_column(header, justify="right" if header in ("rows", "dropped (no label)") else "left")
    for name, split in summary["splits"].items():
        table.add_row(
            name,
            f"{split['rows']:,}",
            cutoff_text(split["cutoffs"]),
            stats_text(split["label_stats"]),
            f"{split['dropped_without_label']:,}",
        )
    console.print(table)
    line = range_text(summary)
    if line:
        console.print(line)


def range_text(summary: dict) -> str | None:
    """Where the cutoffs lie, and the data's time range they were chosen within."""
    cutoffs, times = summary.get("cutoff_range"), summary.get("time_range")
    if not cutoffs:
        return None
    text = f"cutoffs {cutoffs[0]} .. {cutoffs[1]}"
    if times:
        text += f", chosen within the data's times {times['first']} .. {times['last']}"
        if times["left_out"]:
            text += (
                f" ([yellow]{times['left_out']:,} times far outside left out[/], "
                f"e.g. {', '.join(times['left_out_examples'])})"
            )
    return text

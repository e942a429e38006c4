"""Terminal rendering of an inspection with rich tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from relpool.db.inspection import Inspection

LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_inspection(inspection: Inspection, console: Console, evidence: bool = False) -> None:
    schema, matches = inspection.schema, inspection.validation.matches
    tables = Table(title=f"Tables in {inspection.database.source}", title_justify="left")
    for header in ("table", "rows", "primary key", "time column", "time range"):
        tables.add_column(header, justify="right" if header == "rows" else "left")
    for name, table in schema.tables.items():
        time_range = inspection.time_ranges.get(name)
        tables.add_row(
            name,
            f"{inspection.rows[name]:,}",
            ", ".join(table.primary_key or ()) or "-",
            table.time_column or "-",
            f"{time_range[0]} .. {time_range[1]}" if time_range else "-",
        )
    console.print(tables)

    fks = Table(title="Foreign keys", title_justify="left")
    for header in ("from", "to", "dangling", "null"):
        fks.add_column(header, justify="right" if header in ("dangling", "null") else "left")
    if evidence:
        fks.add_column("evidence")
    for name, table in schema.tables.items():
        for i, fk in enumerate(table.foreign_keys):
            stats = matches.get((name, i))
            dangling = f"{stats.dangling_rows:,} ({stats.dangling_fraction:.1%})" if stats else "?"
            nulls = f"{stats.null_rows:,}" if stats else "?"
            source, _, target = fk.describe(name).partition(" -> ")
            fks.add_row(source, target, dangling, nulls, *([fk.evidence] if evidence else []))
    console.print(fks)

    if evidence:
        why = Table(title="Evidence", title_justify="left")
        for header in ("table", "primary key", "time column"):
            why.add_column(header)
        for name, table in schema.tables.items():
            why.add_row(name, table.evidence.get("primary_key", ""), table.evidence.get("time_column", ""))
        console.print(why)

    problems = inspection.validation.problems
    if problems:
        report = Table(title="Problems", title_justify="left")
        for header in ("level", "table", "problem"):
            report.add_column(header)
        for p in problems:
            report.add_row(f"[{LEVEL_STYLE[p.level]}]{p.level}[/]", p.table, p.message)
        console.print(report)
    else:
        console.print("[green]No problems found.[/]")

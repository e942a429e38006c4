"""Times recorded after the row: columns other than the row's own time whose values can be later than it.

``orders.delivered_at`` is filled in after ``orders.ordered_at``: an order visible at cutoff c
(ordered_at <= c) can carry a delivered_at after c, and reading it shows the future (a planted
test, tests/test_secondary_times.py: test AUROC 1.00 for the GNN and for autofeat with such a
column as an input, chance without it). The sampler and SQL see whole rows, so a value cannot be
hidden per example there; instead such a column is no input to any model (the encoders' column
types and the baselines' columns share this rule), with a reason the user sees. ``column_types``
in the schema still win.

- A table with a time column: a time column that is later than the row's time in any row, over all
  rows (excluding a column looks at no label, while a later row filled in late would still leak).
- A table without one (``customers.last_login``): a time later than ``cutoff`` (the first
  validation cutoff) in any row; earlier values are in the past of every validation and test
  example, so the figures that choose and report a model cannot have seen the future.

Which columns hold times is decided as elsewhere: datetime types, text of which a sample parses
(the encoders' bar), and numbers named like a time in an epoch range (time-column inference).
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.infer.naming import time_name_score
from relpool.db.infer.profile import family
from relpool.db.measure import MIN_TIME_PARSED, time_parsed_share
from relpool.db.schema import TableSchema
from relpool.db.sql import quote
from relpool.db.times import epoch_kind, time_expression
from relpool.db.visibility import table_time_sql
from relpool.encode.rows import Cutoff, parse_cutoff


def later_times(database: Database, table: TableSchema, cutoff: Cutoff) -> dict[str, str]:
    """Column -> why it is no input, for every time column of ``table`` (but its own) that can show the future."""
    skip = set(table.primary_key or ()) | {c for fk in table.foreign_keys for c in fk.columns}
    skip |= set(table.column_types)
    if table.time_column is not None:
        skip.add(table.time_column)
    dtypes = database.columns(table.name)
    times = {
        name: dtype
        for name, dtype in dtypes.items()
        if name not in skip and _holds_times(database, table.name, name, dtype)
    }
    stamp = parse_cutoff(cutoff)
    if not times or (table.time_column is None and stamp is None):
        return {}
    if table.time_column:
        own = table_time_sql(database, table)
        what = f"the row's time {table.time_column}"
    else:
        assert stamp is not None  # returned above without a time column or a cutoff
        own, what = f"TIMESTAMP '{stamp.isoformat(sep=' ')}'", f"the first validation cutoff {stamp}"
    parts = []
    for name, dtype in times.items():
        value = time_expression(name, dtype)
        parts += [f"count(*) FILTER (WHERE {value} > {own})", f"max(epoch({value}) - epoch({own}))"]
    counts = iter(database.row(f"SELECT count(*), {', '.join(parts)} FROM {quote(table.name)}"))
    rows = next(counts)
    reasons = {}
    for name in times:
        later, most = next(counts), next(counts)
        if later:
            reasons[name] = (
                f"later than {what} in {later:,} of {rows:,} rows (up to {most / 86400:.1f} days): "
                "would show the future"
            )
    return reasons


def _holds_times(database: Database, table: str, column: str, dtype: str) -> bool:
    kind = family(dtype)
    if kind == "time":
        return True
    if kind == "string":
        return time_parsed_share(database, table, column, dtype, "") >= MIN_TIME_PARSED
    if kind in ("integer", "float") and time_name_score(column) > 0:
        low, high = database.row(f"SELECT min({quote(column)}), max({quote(column)}) FROM {quote(table)}")
        return epoch_kind(low, high) is not None
    return False

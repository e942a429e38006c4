"""Time columns: datetime types, text that parses as timestamps, and integer year columns."""

from __future__ import annotations

from relpool.db.database import Database, quote
from relpool.db.infer.naming import is_year_name, time_name_score
from relpool.db.infer.profile import ColumnProfile, TableProfile
from relpool.db.times import time_expression

SAMPLE_ROWS = 1000
MIN_PARSED = 0.95


def infer_time_column(db: Database, profile: TableProfile, has_single_key: bool) -> tuple[str | None, str]:
    """Pick one time column; datetime-typed and parsable text beat integer years.

    An integer year column is taken only when the table has no single-column key: a year in an
    entity table (planes.year, the year of manufacture) describes the entity, it does not date the row.
    """
    ranked = []
    for col in profile.columns.values():
        evidence = _datetime_evidence(db, profile, col)
        if evidence:
            ranked.append(((0, -time_name_score(col.name), -col.non_null, col.position), col.name, evidence))
        elif not has_single_key and col.family == "integer" and is_year_name(col.name):
            evidence = _year_evidence(db, profile, col)
            if evidence:
                ranked.append(((1, 0, -col.non_null, col.position), col.name, evidence))
    if not ranked:
        return None, "no datetime, timestamp-like text or year column: rows are always visible"
    _, name, evidence = min(ranked)
    others = [n for _, n, _ in sorted(ranked) if n != name]
    if others:
        evidence += f"; preferred over {', '.join(others)}"
    return name, evidence


def _filled(profile: TableProfile, col: ColumnProfile) -> str:
    return f"{col.non_null / profile.rows:.0%} non-null" if profile.rows else "empty"


def _datetime_evidence(db: Database, profile: TableProfile, col: ColumnProfile) -> str | None:
    if col.family == "time":
        return f"{col.dtype} column, {_filled(profile, col)}"
    if col.family != "string" or col.non_null == 0:
        return None
    sampled, parsed = db.con.execute(
        # Sample from the non-NULL values: a sample clause applies before WHERE in its own SELECT.
        f"SELECT count(*), count({time_expression(col.name, col.dtype)}) FROM (SELECT {quote(col.name)} "
        f"FROM {quote(profile.name)} WHERE {quote(col.name)} IS NOT NULL) "
        f"USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (0)").fetchone()
    if sampled and parsed / sampled >= MIN_PARSED:
        return f"text parsed as timestamps ({parsed / sampled:.0%} of a {sampled:,}-value sample), {_filled(profile, col)}"
    return None


def _year_evidence(db: Database, profile: TableProfile, col: ColumnProfile) -> str | None:
    low, high = db.con.execute(f"SELECT min({quote(col.name)}), max({quote(col.name)}) FROM {quote(profile.name)}").fetchone()
    if low is None or not (1700 <= low <= high <= 2200):
        return None
    return f"integer year column ({low}-{high}; a row counts as known at the end of its year), table has no single-column key"

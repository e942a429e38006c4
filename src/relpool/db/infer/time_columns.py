"""Time columns: datetime types, text that parses as timestamps, and year columns.

A text column that is clearly a time column stays one even when some values do not parse (a
majority parses, or its name says time and a tenth does): dropping it would make every row of the
table always visible, so the future would leak into every input. Its unparsable rows are never
visible instead, and validation counts them.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.infer.naming import is_year_name, time_name_score
from relpool.db.infer.profile import ColumnProfile, TableProfile
from relpool.db.measure import INTEGRAL_FLOAT, MIN_TIME_PARSED, SAMPLE_ROWS, time_parsed_share
from relpool.db.sql import quote
from relpool.db.times import epoch_kind

MIN_PARSED_MAJORITY = 0.5  # still the time column, its unparsable rows never visible
MIN_PARSED_NAMED = 0.1  # the same when the name says time/date

CLEAN, YEAR, PARTLY = 0, 1, 2  # preference: a clean datetime, a year, then a partly parsing text


def infer_time_column(db: Database, profile: TableProfile, has_single_key: bool) -> tuple[str | None, str]:
    """Pick one time column; datetime-typed and parsable text beat years, which beat partly parsing text.

    A year column is taken only when the table has no single-column key: a year in an entity table
    (planes.year, the year of manufacture) describes the entity, it does not date the row.
    """
    ranked = []
    for col in profile.columns.values():
        tier, evidence = _datetime_evidence(db, profile, col)
        if evidence:
            ranked.append(((tier, -time_name_score(col.name), -col.non_null, col.position), col.name, evidence))
        elif (
            col.family in ("integer", "float")
            and time_name_score(col.name) > 0
            and (evidence := _epoch_evidence(db, profile, col))
        ):
            ranked.append(((CLEAN, -time_name_score(col.name), -col.non_null, col.position), col.name, evidence))
        elif not has_single_key and col.key_family == "integer" and is_year_name(col.name):
            evidence = _year_evidence(db, profile, col)
            if evidence:
                ranked.append(((YEAR, 0, -col.non_null, col.position), col.name, evidence))
    if not ranked:
        return None, "no datetime, timestamp-like text or year column: rows are always visible"
    _, name, evidence = min(ranked)
    others = [n for _, n, _ in sorted(ranked) if n != name]
    if others:
        evidence += f"; preferred over {', '.join(others)}"
    return name, evidence


def _filled(profile: TableProfile, col: ColumnProfile) -> str:
    return f"{col.non_null / profile.rows:.0%} non-null" if profile.rows else "empty"


def _datetime_evidence(db: Database, profile: TableProfile, col: ColumnProfile) -> tuple[int, str | None]:
    if col.family == "time":
        return CLEAN, f"{col.dtype} column, {_filled(profile, col)}"
    if col.family != "string" or col.non_null == 0:
        return CLEAN, None
    share = time_parsed_share(db, profile.name, col.name, col.dtype, "")
    seen = f"{share:.0%} of a {min(col.non_null, SAMPLE_ROWS):,}-value sample"
    if share >= MIN_TIME_PARSED:
        return CLEAN, f"text parsed as timestamps ({seen}), {_filled(profile, col)}"
    named = time_name_score(col.name) > 0
    if share >= MIN_PARSED_MAJORITY or (named and share >= MIN_PARSED_NAMED):
        why = "most values parse" if share >= MIN_PARSED_MAJORITY else "named like a time"
        return PARTLY, (
            f"text partly parsed as timestamps ({seen}; {why}), {_filled(profile, col)}; "
            f"rows whose value does not parse are never visible"
        )
    return CLEAN, None


def _epoch_evidence(db: Database, profile: TableProfile, col: ColumnProfile) -> str | None:
    """Numbers named like a time, all within one epoch range: the moment each row happened.

    Unlike a year, an epoch time dates the row even in an entity table (customers.created_at).
    """
    low, high = db.row(f"SELECT min({quote(col.name)}), max({quote(col.name)}) FROM {quote(profile.name)}")
    found = epoch_kind(low, high)
    if not found:
        return None
    kind, unit = found
    first, last = (db.scalar(f"SELECT CAST(to_timestamp({v} / {unit}) AS TIMESTAMP)") for v in (low, high))
    return f"{kind} named like a time ({first:%Y-%m-%d} .. {last:%Y-%m-%d}), {_filled(profile, col)}"


def _year_evidence(db: Database, profile: TableProfile, col: ColumnProfile) -> str | None:
    low, high = db.row(f"SELECT min({quote(col.name)}), max({quote(col.name)}) FROM {quote(profile.name)}")
    if low is None or not (1700 <= low <= high <= 2200):
        return None
    kind = f"{INTEGRAL_FLOAT} year column" if col.family == "float" else "integer year column"
    return (
        f"{kind} ({int(low)}-{int(high)}; a row counts as known at the end of its year), table has no single-column key"
    )

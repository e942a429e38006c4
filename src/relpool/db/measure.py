"""SQL measurements over the store that both inference and validation rely on."""

from __future__ import annotations

from dataclasses import dataclass

from relpool.db.database import Database
from relpool.db.sql import quote, type_family
from relpool.db.times import time_expression

SAMPLE_ROWS = 1000  # values sampled to decide whether text holds times
MIN_TIME_PARSED = 0.95  # text is a timestamp when this share of the sample parses

INTEGRAL_FLOAT = "integral float (pandas writes integers with NULLs as floats)"
"""Evidence wording for a float column inference treats as integers."""

EXACT_INTEGER_LIMIT = 2**53  # doubles hold every integer up to here exactly, so 1.0 = 1 is safe


def non_integral_count_sql(column: str) -> str:
    """SQL counting a float column's non-null values that are not whole numbers a double holds exactly."""
    v = f"CAST({quote(column)} AS DOUBLE)"
    return (
        f"count(*) FILTER (WHERE {v} IS NOT NULL AND NOT (isfinite({v}) AND {v} = trunc({v}) "
        f"AND abs({v}) <= {EXACT_INTEGER_LIMIT}))"
    )


def key_family(family: str, integral: bool) -> str:
    """The family keys and joins compare in: an integral float column joins integers (DuckDB compares
    DOUBLE = BIGINT numerically), so ids 1.0, 2.0 written by pandas are integer keys."""
    return "integer" if family == "float" and integral else family


def column_key_family(db: Database, table: str, column: str) -> str:
    """:func:`key_family` of one store column, measured (one scan for float columns)."""
    family = type_family(db.columns(table)[column])
    if family != "float":
        return family
    filled, odd = db.row(f"SELECT count({quote(column)}), {non_integral_count_sql(column)} FROM {quote(table)}")
    return key_family(family, filled > 0 and odd == 0)


@dataclass(frozen=True)
class KeyStats:
    rows: int
    null_rows: int  # rows with a NULL in any key column
    duplicate_rows: int  # rows beyond the first for each repeated key value
    example_duplicate: tuple | None


def key_stats(db: Database, table: str, columns: tuple[str, ...]) -> KeyStats:
    cols = ", ".join(quote(c) for c in columns)
    any_null = " OR ".join(f"{quote(c)} IS NULL" for c in columns)
    rows, nulls = db.row(f"SELECT count(*), count(*) FILTER (WHERE {any_null}) FROM {quote(table)}")
    dup = db.row(
        f"SELECT sum(n - 1), min(({cols})) FROM (SELECT {cols}, count(*) AS n FROM {quote(table)} "
        f"WHERE NOT ({any_null}) GROUP BY ALL HAVING count(*) > 1)"
    )
    example = dup[1]
    if example is not None and not isinstance(example, tuple):
        example = tuple(example.values()) if isinstance(example, dict) else (example,)
    return KeyStats(rows, nulls, int(dup[0] or 0), example)


def is_unique_key(db: Database, table: str, columns: tuple[str, ...]) -> bool:
    """Exact: no NULL in any column and no repeated value (tuple)."""
    cols = ", ".join(quote(c) for c in columns)
    not_null = " AND ".join(f"{quote(c)} IS NOT NULL" for c in columns)
    rows, distinct, complete = db.row(
        f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {quote(table)})), "
        f"count(*) FILTER (WHERE {not_null}) FROM {quote(table)}"
    )
    return rows > 0 and rows == distinct == complete


@dataclass(frozen=True)
class MatchStats:
    rows: int
    null_rows: int  # child rows with a NULL in a key column: no edge, not dangling
    matched_rows: int
    example_dangling: tuple | None

    @property
    def dangling_rows(self) -> int:
        return self.rows - self.null_rows - self.matched_rows

    @property
    def matched_fraction(self) -> float:
        filled = self.rows - self.null_rows
        return self.matched_rows / filled if filled else 0.0

    @property
    def dangling_fraction(self) -> float:
        filled = self.rows - self.null_rows
        return self.dangling_rows / filled if filled else 0.0


def foreign_key_match(
    db: Database, child: str, columns: tuple[str, ...], parent: str, parent_columns: tuple[str, ...]
) -> MatchStats:
    """How many child rows find their parent row (the distinct parent keys are joined, not the rows)."""
    on = " AND ".join(f"c.{quote(a)} = p.{quote(b)}" for a, b in zip(columns, parent_columns))
    pcols = ", ".join(quote(b) for b in parent_columns)
    any_null = " OR ".join(f"c.{quote(a)} IS NULL" for a in columns)
    ccols = ", ".join(f"c.{quote(a)}" for a in columns)
    rows, nulls, matched, example = db.row(
        f"SELECT count(*), count(*) FILTER (WHERE {any_null}), count(*) FILTER (WHERE p._hit), "
        f"min(({ccols})) FILTER (WHERE NOT ({any_null}) AND p._hit IS NULL) "
        f"FROM {quote(child)} c LEFT JOIN (SELECT DISTINCT {pcols}, true AS _hit FROM {quote(parent)}) p ON {on}"
    )
    if example is not None and not isinstance(example, tuple):
        example = tuple(example.values()) if isinstance(example, dict) else (example,)
    return MatchStats(rows, nulls, matched, example)


# ---- Time spread: the bulk of a column's times, and the few far outside it ----

SPREAD_QUANTILE = 0.01  # the bulk lies between the 1st and 99th percentile ...
SPREAD_MIN_FROM_END = 2  # ... and at least 2 values in from each end on small tables
SPREAD_FACTOR = 10  # out of range: further than 10 bulk widths outside the bulk
SPREAD_MIN_SECONDS = 86_400  # a bulk narrower than a day counts as a day wide
SPREAD_MIN_ROWS = 100  # with fewer times, the bulk cannot be told from a sparse tail: none are out of range


@dataclass(frozen=True)
class TimeSpread:
    """Times of one relation: which lie in range, and the few far outside the bulk (e.g. 9999-12-31).

    A time is out of range when it lies more than ``SPREAD_FACTOR`` times the width of the bulk
    (1st..99th percentile, at least a day) before or after it: a handful of rows dated 9999 or 1066
    among ten years of data, or 1900-01-01 placeholders. Everything else, however sparse, is kept,
    and so is every time of a relation with fewer than ``SPREAD_MIN_ROWS`` of them.
    """

    rows: int  # rows with a time
    first: object  # earliest and latest time in range (TIMESTAMP values), None without times
    last: object
    outside: int  # rows with a time out of range
    examples: tuple  # the earliest and/or latest out-of-range time

    @property
    def span_text(self) -> str:
        return f"{self.first} .. {self.last}"

    @property
    def full_range(self) -> tuple | None:
        """Earliest and latest time, far-out ones included; None without times."""
        if self.first is None:
            return None
        every = (self.first, self.last, *self.examples)
        return min(every), max(every)


def time_spread(db: Database, relation_sql: str, time_sql: str) -> TimeSpread:
    """:class:`TimeSpread` of ``time_sql`` (a TIMESTAMP expression) over ``relation_sql`` (a FROM item)."""
    timed = f"(SELECT {time_sql} AS t FROM {relation_sql}) WHERE t IS NOT NULL"
    rows = db.scalar(f"SELECT count(*) FROM {timed}")
    if rows < SPREAD_MIN_ROWS:
        first, last = db.row(f"SELECT min(t), max(t) FROM {timed}")
        return TimeSpread(rows, first, last, 0, ())
    q = max(SPREAD_QUANTILE, SPREAD_MIN_FROM_END / rows)
    lo, hi = db.row(f"SELECT quantile_disc(epoch(t), {q}), quantile_disc(epoch(t), {1 - q}) FROM {timed}")
    width = max(hi - lo, SPREAD_MIN_SECONDS)
    low, high = lo - SPREAD_FACTOR * width, hi + SPREAD_FACTOR * width
    outside = f"epoch(t) < {low!r} OR epoch(t) > {high!r}"
    first, last, count, early, late = db.row(
        f"SELECT min(t) FILTER (WHERE NOT ({outside})), max(t) FILTER (WHERE NOT ({outside})), "
        f"count(*) FILTER (WHERE {outside}), min(t) FILTER (WHERE epoch(t) < {low!r}), "
        f"max(t) FILTER (WHERE epoch(t) > {high!r}) FROM {timed}"
    )
    return TimeSpread(rows, first, last, count, tuple(v for v in (early, late) if v is not None))


def time_parsed_share(database: Database, table: str, column: str, dtype: str, condition: str) -> float:
    """Share of a sample of the non-NULL values (of the rows ``condition`` keeps) that parse as timestamps."""
    non_null = f"{quote(column)} IS NOT NULL"
    condition = f"{condition} AND {non_null}" if condition else f" WHERE {non_null}"
    sampled, parsed = database.row(
        # The sample is drawn from the filtered subquery: USING SAMPLE on a table samples before WHERE.
        f"SELECT count(*), count({time_expression(column, dtype)}) FROM (SELECT {quote(column)} FROM "
        f"(SELECT {quote(column)} FROM {quote(table)}{condition}) "
        f"USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (0))"
    )
    return parsed / sampled if sampled else 0.0

"""Deep-feature-synthesis-style aggregates in DuckDB, for every (entity, cutoff), one statement per path.

The time rule is the GNN's: an example sees a row only if the row's time is <= its cutoff (a NULL
time is never visible); rows of paths without a time column are always visible.

Joining every example to all of its entity's earlier rows costs rows x cutoffs. Instead each row
is put in the bucket of the first cutoff at or after its time (an ASOF join), aggregated once per
(entity, bucket), and the buckets are combined by running sums, minima and maxima; an example then
takes its entity's running value at the last bucket <= its cutoff (another ASOF join). Counts of
distinct values count first occurrences; standard deviations come from shifted sums of squares; the
last value is the maximum of (time, value). Recent windows (rows in (cutoff - N days, cutoff]) join
examples to the rows of their window only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from relpool.autofeat.plan import Group
from relpool.autofeat.table import EXAMPLES, Feature, FeatureTable, fetch
from relpool.db.database import Database
from relpool.db.sql import quote
from relpool.db.visibility import visible_sql

WINDOW_DAYS = (7, 30)


@dataclass(frozen=True)
class Running:
    """A history aggregate from per-bucket parts, each combined over the buckets so far by sum, min or max."""

    name: str
    parts: tuple[tuple[str, str], ...]  # (aggregate over a bucket's rows, "sum" | "min" | "max")
    final: str  # over the parts, written {0}, {1}, …, and x.cutoff
    zero_when_empty: bool = False
    categorical: bool = False


def aggregate_features(
    database: Database,
    groups: list[Group],
    windows: tuple[int, ...] = WINDOW_DAYS,
    track: Callable[[Iterable, str], Iterable] = lambda items, _: items,
    functions: set[str] | None = None,
    wanted: set[str] | None = None,
) -> FeatureTable:
    """Aggregates of every group for the registered examples (see :func:`relpool.autofeat.table.registered`).

    ``functions`` keeps only the history aggregates of those names (e.g. {"COUNT", "MEAN"}); all by default.
    ``wanted`` keeps only the features of those names (a group with none runs no statement).
    """
    tables = []
    for group in track(groups, "Aggregating related rows"):
        history = [f for f in history_features(group) if functions is None or f.name.split("(")[0] in functions]
        recent = window_features(group, windows)
        if wanted is not None:
            history, recent = [f for f in history if f.name in wanted], [f for f in recent if f.name in wanted]
            if not history and not recent:
                continue
        tables.append(fetch(database, [*history, *recent], group_sql(group, history, recent, max(windows, default=0))))
    return FeatureTable.concat(tables)


def group_sql(group: Group, history: list[Running], recent: list[Feature], widest: int) -> str:
    parts = [part for f in history for part in f.parts]
    aliases = iter(range(len(parts)))
    finals = [f.final.format(*(f"c.p{next(aliases)}" for _ in f.parts)) for f in history]
    firsts = ", ".join(
        f"row_number() OVER (PARTITION BY r.__entity, r.{quote(c)} ORDER BY r.__t) = 1 AS __first{i}"
        for i, c in enumerate(group.categorical)
    )
    bucket = (
        f"r ASOF JOIN cuts ON {visible_sql('r.__t', 'cuts.cutoff')}"
        if group.has_time
        else "r CROSS JOIN (SELECT min(cutoff) AS cutoff FROM cuts) cuts"
    )  # every row visible at every cutoff
    ctes = [
        f"x AS (SELECT DISTINCT entity, cutoff FROM {EXAMPLES})",
        "cuts AS (SELECT DISTINCT cutoff FROM x)",
        f"r AS MATERIALIZED (SELECT * FROM ({group.sql}) r WHERE r.__entity IN (SELECT entity FROM x))",
        f"b AS (SELECT r.*, cuts.cutoff AS __bucket{', ' + firsts if firsts else ''} FROM {bucket})",
        f"per AS (SELECT __entity, __bucket, {_select(p for p, _ in parts)} FROM b r GROUP BY __entity, __bucket)",
        f"c AS (SELECT __entity, __bucket, {_select(f'{how}(p{i}) OVER w' for i, (_, how) in enumerate(parts))} "
        "FROM per WINDOW w AS (PARTITION BY __entity ORDER BY __bucket ROWS UNBOUNDED PRECEDING))",
        f"h AS (SELECT x.entity, x.cutoff, {_select(finals, 'f')} FROM x ASOF JOIN c "
        "ON c.__entity = x.entity AND x.cutoff >= c.__bucket)",
    ]
    joins = ["LEFT JOIN h ON h.entity = e.entity AND h.cutoff = e.cutoff"]
    if recent:
        ctes.append(
            f"w AS (SELECT x.entity, x.cutoff, {_select((f.sql for f in recent), 'f', len(history))} "
            f"FROM x JOIN r ON r.__entity = x.entity AND {visible_sql('r.__t', 'x.cutoff')} "
            f"AND r.__t > x.cutoff - to_days({widest}) GROUP BY x.entity, x.cutoff)"
        )
        joins.append("LEFT JOIN w ON w.entity = e.entity AND w.cutoff = e.cutoff")
    columns = [(f"h.f{i}", f.zero_when_empty) for i, f in enumerate(history)]
    columns += [(f"w.f{len(history) + i}", f.zero_when_empty) for i, f in enumerate(recent)]
    select = ", ".join(f"coalesce({ref}, 0)" if zero else ref for ref, zero in columns)
    return f"WITH {', '.join(ctes)} SELECT {select} FROM {EXAMPLES} e {' '.join(joins)} ORDER BY e.__row"


def _select(expressions: Iterable[str], prefix: str = "p", start: int = 0) -> str:
    return ", ".join(f"{sql} AS {prefix}{start + i}" for i, sql in enumerate(expressions))


def history_features(group: Group) -> list[Running]:
    """Aggregates over every visible row, named like featuretools names them, plus the path they follow."""
    path, table = group.label, group.table

    def name(fn: str, what: str) -> str:
        return f"{fn}({what} | {path})"

    features = []
    if group.own_rows:
        features.append(Running(name("COUNT", table), (("count(*)", "sum"),), "{0}", zero_when_empty=True))
        if group.has_time:
            features += [
                Running(name("DAYS_SINCE_LAST", table), (("max(r.__t)", "max"),), _days_since("{0}")),
                Running(name("DAYS_SINCE_FIRST", table), (("min(r.__t)", "min"),), _days_since("{0}")),
            ]
    for column in group.numeric:
        v, what = f"TRY_CAST(r.{quote(column)} AS DOUBLE)", f"{table}.{column}"
        # Squares of values shifted by one typical value, so a constant column has a deviation of exactly 0.
        shifted = f"({v} - (SELECT min(TRY_CAST({quote(column)} AS DOUBLE)) FROM r))"  # one scalar per column
        n, total = (f"count({v})", "sum"), (f"sum({v})", "sum")
        features += [
            Running(name("SUM", what), (total,), "{0}", zero_when_empty=True),
            Running(name("MEAN", what), (total, n), "{0} / nullif({1}, 0)"),
            Running(name("MIN", what), ((f"min({v})", "min"),), "{0}"),
            Running(name("MAX", what), ((f"max({v})", "max"),), "{0}"),
            Running(
                name("STD", what),
                ((f"sum({shifted})", "sum"), (f"sum({shifted} * {shifted})", "sum"), n),
                "CASE WHEN {2} > 1 THEN sqrt(greatest({1} - {0} * {0} / {2}, 0) / ({2} - 1)) END",
            ),
        ]
        if group.has_time:
            features.append(Running(name("LAST", what), (_latest(v),), "{0}.v"))
    for i, column in enumerate(group.categorical):
        v, what = f"CAST(r.{quote(column)} AS VARCHAR)", f"{table}.{column}"
        features.append(
            Running(
                name("NUM_UNIQUE", what),
                ((f"count({v}) FILTER (WHERE r.__first{i})", "sum"),),
                "{0}",
                zero_when_empty=True,
            )
        )
        for value in group.top.get(column, ()):
            literal = "'" + value.replace("'", "''") + "'"
            features.append(
                Running(
                    name("COUNT", f"{what} = {literal}"),
                    ((f"count(*) FILTER (WHERE {v} = {literal})", "sum"),),
                    "{0}",
                    zero_when_empty=True,
                )
            )
        if group.has_time and column in group.top:
            features.append(Running(name("LAST", what), (_latest(v),), "{0}.v", categorical=True))
    return features


def window_features(group: Group, windows: tuple[int, ...]) -> list[Feature]:
    """Counts, sums and means over the last N days before each cutoff."""
    if not group.has_time:
        return []
    features = []
    for w in windows:
        recent, suffix = f"r.__t > x.cutoff - to_days({w})", f" | {group.label}, last {w}d)"
        if group.own_rows:
            features.append(Feature(f"COUNT({group.table}{suffix}", f"count(*) FILTER (WHERE {recent})", True))
        for column in group.numeric:
            v, what = f"TRY_CAST(r.{quote(column)} AS DOUBLE)", f"{group.table}.{column}"
            features += [
                Feature(f"SUM({what}{suffix}", f"sum({v}) FILTER (WHERE {recent})", True),
                Feature(f"MEAN({what}{suffix}", f"avg({v}) FILTER (WHERE {recent})"),
            ]
    return features


def _days_since(time_sql: str) -> str:
    return f"(epoch(x.cutoff) - epoch({time_sql})) / 86400"


def _latest(value: str) -> tuple[str, str]:
    """The latest (time, value) of non-NULL values; equal times are broken by the value, so runs agree."""
    return f"max(struct_pack(t := r.__t, v := {value})) FILTER (WHERE {value} IS NOT NULL)", "max"

"""SQL measurements over the store that both inference and validation rely on."""

from __future__ import annotations

from dataclasses import dataclass

from relpool.db.database import Database, quote


@dataclass(frozen=True)
class KeyStats:
    rows: int
    null_rows: int  # rows with a NULL in any key column
    duplicate_rows: int  # rows beyond the first for each repeated key value
    example_duplicate: tuple | None


def key_stats(db: Database, table: str, columns: tuple[str, ...]) -> KeyStats:
    cols = ", ".join(quote(c) for c in columns)
    any_null = " OR ".join(f"{quote(c)} IS NULL" for c in columns)
    rows, nulls = db.con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {any_null}) FROM {quote(table)}").fetchone()
    dup = db.con.execute(
        f"SELECT sum(n - 1), min(({cols})) FROM (SELECT {cols}, count(*) AS n FROM {quote(table)} "
        f"WHERE NOT ({any_null}) GROUP BY ALL HAVING count(*) > 1)").fetchone()
    example = dup[1]
    if example is not None and not isinstance(example, tuple):
        example = tuple(example.values()) if isinstance(example, dict) else (example,)
    return KeyStats(rows, nulls, int(dup[0] or 0), example)


def is_unique_key(db: Database, table: str, columns: tuple[str, ...]) -> bool:
    """Exact: no NULL in any column and no repeated value (tuple)."""
    cols = ", ".join(quote(c) for c in columns)
    not_null = " AND ".join(f"{quote(c)} IS NOT NULL" for c in columns)
    rows, distinct, complete = db.con.execute(
        f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {quote(table)})), "
        f"count(*) FILTER (WHERE {not_null}) FROM {quote(table)}"
    ).fetchone()
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


def foreign_key_match(db: Database, child: str, columns: tuple[str, ...], parent: str,
                      parent_columns: tuple[str, ...]) -> MatchStats:
    """How many child rows find their parent row (the distinct parent keys are joined, not the rows)."""
    on = " AND ".join(f"c.{quote(a)} = p.{quote(b)}" for a, b in zip(columns, parent_columns))
    pcols = ", ".join(quote(b) for b in parent_columns)
    any_null = " OR ".join(f"c.{quote(a)} IS NULL" for a in columns)
    ccols = ", ".join(f"c.{quote(a)}" for a in columns)
    rows, nulls, matched, example = db.con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {any_null}), count(*) FILTER (WHERE p._hit), "
        f"min(({ccols})) FILTER (WHERE NOT ({any_null}) AND p._hit IS NULL) "
        f"FROM {quote(child)} c LEFT JOIN (SELECT DISTINCT {pcols}, true AS _hit FROM {quote(parent)}) p ON {on}"
    ).fetchone()
    if example is not None and not isinstance(example, tuple):
        example = tuple(example.values()) if isinstance(example, dict) else (example,)
    return MatchStats(rows, nulls, matched, example)

"""PostgreSQL data through ADBC (binary COPY straight into Arrow), in a read-only session.

Each column is read as a type the store and the encoders understand, chosen from its catalog type
(a domain by its base type), so no column type can fail a read:

- bool, integers, float4/8, text, varchar, date, time, timestamp, timestamptz, bytea: as they are
  (timestamptz as UTC instants);
- numeric(p, 0) with p <= 18 as int8 (ids are often declared so), other numeric and money as float8;
- interval as float8 seconds;
- everything else (uuid, char(n), enum, json/jsonb, arrays, inet, xml, ranges, ...) as PostgreSQL's
  own text form (``::text``): uuid and text keys join as text, char(n) loses its padding, an array
  reads as ``{a,b}``, jsonb as its JSON text.
"""

from __future__ import annotations

from relpool.db.database import Database
from relpool.db.sql import literal, quote
from relpool.errors import RelpoolError

NATIVE = {
    "bool",
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "text",
    "varchar",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "bytea",
}

# Name, base type name and numeric precision/scale (typmod = (precision << 16 | scale) + 4) per column.
_COLUMNS_SQL = """
SELECT a.attname, b.typname,
       CASE WHEN b.typname = 'numeric' AND m.typmod >= 4 THEN ((m.typmod - 4) >> 16) & 65535 END,
       CASE WHEN b.typname = 'numeric' AND m.typmod >= 4 THEN (m.typmod - 4) & 65535 END
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod) m
WHERE n.nspname = {namespace} AND c.relname = {table} AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

# Partitions of a partitioned table hold the parent's rows a second time: only the parent is read.
PARTITIONS_SQL = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :namespace AND c.relispartition"
)


def column_expression(name: str, base_type: str, precision: int | None, scale: int | None) -> str:
    """The SELECT expression that reads one column as the type the module docstring promises."""
    column = quote(name)
    if base_type in NATIVE:
        expr = column
    elif base_type == "numeric":
        small_integer = scale == 0 and precision is not None and precision <= 18
        expr = f"NULLIF({column}, 'NaN')::int8" if small_integer else f"{column}::float8"
    elif base_type == "money":
        expr = f"{column}::numeric::float8"
    elif base_type == "interval":
        expr = f"extract(epoch FROM {column})::float8"
    else:
        expr = f"{column}::text"
    return f"{expr} AS {column}"


def read_postgres(db: Database, libpq_uri: str, tables: list[str], namespace: str, shown: str) -> None:
    import adbc_driver_postgresql.dbapi as adbc_pg

    try:
        with adbc_pg.connect(libpq_uri) as con, con.cursor() as cur:
            cur.execute("SET default_transaction_read_only = on")
            for t in tables:
                cur.execute(_COLUMNS_SQL.format(namespace=literal(namespace), table=literal(t)))
                select = ", ".join(column_expression(*row) for row in cur.fetchall())
                cur.execute(f"SELECT {select} FROM {quote(namespace)}.{quote(t)}")
                db.add_arrow(t, cur.fetch_arrow_table())
    except adbc_pg.Error as exc:
        raise RelpoolError(f"cannot read from {shown}: {' '.join(str(exc).split())}") from None

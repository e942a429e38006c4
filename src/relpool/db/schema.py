"""The relational schema relpool works from: keys, foreign keys and one time column per table.

A schema is either inferred from the data (with the evidence kept next to each decision), declared
by the source (SQL constraints, a RelBench manifest) or given by the user as YAML. The three are
merged field by field in ``relpool.db.resolve``; this module only holds the data and its YAML form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from relpool.errors import RelpoolError


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of the child table point at ``references_columns`` of ``references_table``."""

    columns: tuple[str, ...]
    references_table: str
    references_columns: tuple[str, ...]
    evidence: str = ""

    def to_dict(self) -> dict:
        return {
            "columns": list(self.columns),
            "references_table": self.references_table,
            "references_columns": list(self.references_columns),
        }

    def describe(self, table: str) -> str:
        return f"{_cols(table, self.columns)} -> {_cols(self.references_table, self.references_columns)}"


@dataclass
class TableSchema:
    name: str
    primary_key: tuple[str, ...] | None = None
    time_column: str | None = None
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    # Semantic types the user fixed for columns (e.g. {"zip": "categorical"}); the rest are inferred
    # by the encoders. One of COLUMN_TYPES.
    column_types: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out: dict = {
            "primary_key": list(self.primary_key) if self.primary_key else None,
            "time_column": self.time_column,
            "foreign_keys": [fk.to_dict() for fk in self.foreign_keys],
        }
        if self.column_types:
            out["column_types"] = dict(self.column_types)
        return out


@dataclass
class Schema:
    tables: dict[str, TableSchema]
    # Split timestamps a source may declare (a RelBench manifest's val/test timestamps).
    split_times: dict[str, str] = field(default_factory=dict)
    # (table, why) for each constraint the source declared but names what does not exist: left out,
    # reported as a warning.
    ignored_declarations: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        out: dict = {"tables": {name: t.to_dict() for name, t in self.tables.items()}}
        if self.split_times:
            out["split_times"] = dict(self.split_times)
        return out

    def write_yaml(self, path: str | Path) -> None:
        text = "# relpool schema: edit and pass back with --schema. A field given here overrides inference.\n"
        text += yaml.safe_dump(self.to_dict(), sort_keys=False)
        Path(path).write_text(text)


def _cols(table: str, columns: tuple[str, ...]) -> str:
    return f"{table}.{columns[0]}" if len(columns) == 1 else f"{table}({', '.join(columns)})"


# ---- Overrides: partial schemas from the user's YAML or from a source's declared constraints ----

_TABLE_FIELDS = {"primary_key", "time_column", "foreign_keys", "column_types"}
COLUMN_TYPES = ("numerical", "categorical", "timestamp", "multicategorical", "text", "ignore")


@dataclass
class TableOverride:
    """Only the fields that were given; a field present (even as null) wins over inference."""

    fields: dict = field(default_factory=dict)
    source: str = "schema file"  # where it came from, to prefix error messages
    evidence: str = "given in the schema file"  # recorded as the evidence of each field it fixes


def parse_overrides(data: object, source: str) -> tuple[dict[str, TableOverride], dict[str, str]]:
    """Validate a schema dict (YAML or declared) into per-table overrides and split times."""
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise RelpoolError(f"{source}: expected a mapping with a 'tables:' section")
    unknown_top = set(data) - {"tables", "split_times"}
    if unknown_top:
        raise RelpoolError(
            f"{source}: unknown top-level key(s) {sorted(unknown_top)}; expected 'tables', 'split_times'"
        )
    overrides = {}
    for name, spec in data["tables"].items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise RelpoolError(f"{source}: table '{name}' must be a mapping of primary_key/time_column/foreign_keys")
        unknown = set(spec) - _TABLE_FIELDS
        if unknown:
            raise RelpoolError(
                f"{source}: table '{name}' has unknown field(s) {sorted(unknown)}; expected {sorted(_TABLE_FIELDS)}"
            )
        fields: dict = {}
        if "primary_key" in spec:
            fields["primary_key"] = _column_tuple(spec["primary_key"], f"{source}: {name}.primary_key")
        if "time_column" in spec:
            tc = spec["time_column"]
            if tc is not None and not isinstance(tc, str):
                raise RelpoolError(f"{source}: {name}.time_column must be a column name or null")
            fields["time_column"] = tc
        if "foreign_keys" in spec:
            fields["foreign_keys"] = [_foreign_key(fk, name, source) for fk in spec["foreign_keys"] or []]
        if "column_types" in spec:
            fields["column_types"] = _column_types(spec["column_types"], f"{source}: {name}.column_types")
        overrides[str(name)] = TableOverride(fields, source, f"given in {source}")
    split_times = {str(k): str(v) for k, v in (data.get("split_times") or {}).items()}
    return overrides, split_times


def load_schema_yaml(path: str | Path) -> tuple[dict[str, TableOverride], dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        raise RelpoolError(f"schema file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RelpoolError(f"schema file {path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return parse_overrides(data, f"schema file {path}")


def _column_tuple(value: object, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RelpoolError(f"{where} must be a column name, a list of column names, or null")


def _column_types(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise RelpoolError(f"{where} must map column names to one of {', '.join(COLUMN_TYPES)}")
    for column, kind in value.items():
        if kind not in COLUMN_TYPES:
            raise RelpoolError(f"{where}: '{column}' has type {kind!r}; expected one of {', '.join(COLUMN_TYPES)}")
    return {str(k): str(v) for k, v in value.items()}


def _foreign_key(spec: object, table: str, source: str) -> ForeignKey:
    where = f"{source}: a foreign key of '{table}'"
    if not isinstance(spec, dict) or not {"columns", "references_table"} <= set(spec):
        raise RelpoolError(f"{where} needs 'columns' and 'references_table' (and optionally 'references_columns')")
    columns = _column_tuple(spec["columns"], f"{where}: columns")
    if columns is None:
        raise RelpoolError(f"{where}: columns must be a column name or a list of column names")
    ref_columns = _column_tuple(spec.get("references_columns"), f"{where}: references_columns")
    if ref_columns is not None and len(ref_columns) != len(columns):
        raise RelpoolError(
            f"{where}: {len(columns)} column(s) {list(columns)} cannot reference {len(ref_columns)} column(s) {list(ref_columns)}"
        )
    # references_columns may be left out: it then means the referenced table's primary key.
    return ForeignKey(columns, str(spec["references_table"]), ref_columns or (), evidence=f"given in {source}")

"""RelBench 3 dataset folders: ``manifest.yaml`` (keys, times, split timestamps) + ``db/*.parquet``."""

from __future__ import annotations

from pathlib import Path

import yaml

from relpool.db.database import Database
from relpool.db.sources.declared import declared_fk, declared_table
from relpool.db.sources.files import add_file
from relpool.errors import RelpoolError


def read_relbench(folder: Path) -> Database:
    manifest_path = folder / "manifest.yaml"
    try:
        manifest = yaml.safe_load(manifest_path.read_text())
    except yaml.YAMLError as exc:
        raise RelpoolError(f"{manifest_path} is not valid YAML: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        raise RelpoolError(f"{manifest_path}: expected a RelBench manifest with a 'tables:' mapping")
    db = Database.empty(str(folder))
    source = "RelBench manifest"
    for name, spec in manifest["tables"].items():
        spec = _table_spec(manifest_path, name, spec)
        parquet = folder / "db" / f"{name}.parquet"
        if not parquet.is_file():
            raise RelpoolError(f"{manifest_path} lists table '{name}' but {parquet} does not exist")
        add_file(db, name, parquet)
        pkey = spec.get("pkey")
        fks = [declared_fk([col], parent, None, source) for col, parent in (spec.get("fkeys") or {}).items()]
        db.declared[name] = declared_table(
            source, (pkey,) if pkey else None, fks, time_column=spec.get("time_col"), with_time=True
        )
    db.split_times = {k: str(manifest[k]) for k in ("val_timestamp", "test_timestamp") if manifest.get(k)}
    return db


def _table_spec(manifest_path: Path, name: str, spec) -> dict:
    """A table's entry: ``pkey: col``, ``fkeys: {col: parent}``, ``time_col: col`` (each optional)."""
    where = f"{manifest_path}: table '{name}'"
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise RelpoolError(f"{where} should be a mapping (pkey, fkeys, time_col), got {spec!r}")
    for key in ("pkey", "time_col"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise RelpoolError(f"{where}: {key} should be one column name, got {spec[key]!r}")
    fkeys = spec.get("fkeys")
    if fkeys is not None and not (isinstance(fkeys, dict) and all(isinstance(v, str) for v in fkeys.values())):
        raise RelpoolError(
            f"{where}: fkeys should map each column to the table it references (customer_id: customers), got {fkeys!r}"
        )
    return spec

"""The user's database is never modified: file bytes (and the folder's file list) are compared."""

from __future__ import annotations

import hashlib

import pytest
import yaml
from conftest import write_duckdb, write_sqlite


def _fingerprint(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


COMMANDS = {
    "inspect": [],
    "json": ["--json"],
    "evidence": ["--evidence"],
    "write-schema": ["--write-schema", "{out}/schema.yaml"],
    "diagram": ["--diagram", "{out}/schema.png"],
    "schema-override": ["--schema", "{out}/override.yaml"],
}


@pytest.mark.parametrize("fmt", ["sqlite", "duckdb"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_commands_leave_the_database_file_untouched(fmt, command, shop, tmp_path, run_cli):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    out.mkdir()
    (out / "override.yaml").write_text(yaml.safe_dump({"tables": {"products": {"primary_key": "product_id"}}}))
    path = write_sqlite(shop, data / "shop.sqlite") if fmt == "sqlite" else write_duckdb(shop, data / "shop.duckdb")
    before = _fingerprint(data)
    args = [a.format(out=out) for a in COMMANDS[command]]
    code, _, stderr = run_cli("inspect", path, *args)
    assert code == 0, stderr
    assert _fingerprint(data) == before  # same bytes, and no journal/WAL/lock file left behind

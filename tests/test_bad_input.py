"""Bad input: one clear message, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
import yaml

from conftest import write_folder, write_sqlite


def _schema(tmp_path, tables: dict) -> str:
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump({"tables": tables}))
    return str(path)


def _db(tmp_path, frames: dict) -> str:
    return str(write_sqlite(frames, tmp_path / "db.sqlite"))


PEOPLE = pd.DataFrame({"pid": [1, 2, 2, 3], "name": ["a", "b", "c", None], "born": ["x", "y", "z", "w"],
                       "flag": [True, False, True, True]})
ORDERS = pd.DataFrame({"oid": [1, 2, 3], "buyer": ["1", "2", "9"], "seller": [1, 2, 7]})


def case_missing_path(tmp_path):
    return [str(tmp_path / "nope.sqlite")], "database not found"


def case_not_a_database(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    return [str(tmp_path / "notes.txt")], "is not a database relpool can read"


def case_corrupt_sqlite(tmp_path):
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    return [str(path)], "cannot read SQLite file"


def case_corrupt_parquet(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "t.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    return [str(folder)], "cannot read"


def case_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    return [str(tmp_path / "empty")], "has no .parquet or .csv files"


def case_two_files_one_table(tmp_path):
    folder = write_folder({"t": PEOPLE}, tmp_path / "dup")
    PEOPLE.to_csv(folder / "t.csv", index=False)
    return [str(folder)], "two tables are both named 't'"


def case_duplicate_primary_key(tmp_path):
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", _schema(tmp_path, {"people": {"primary_key": "pid"}})], \
        "primary key people.pid is not unique: 1 duplicate rows (e.g. 2)"


def case_null_primary_key(tmp_path):
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", _schema(tmp_path, {"people": {"primary_key": "name"}})], \
        "primary key people.name is NULL in 1 of 4 rows"


def case_unknown_table_in_schema(tmp_path):
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", _schema(tmp_path, {"peple": {"primary_key": "pid"}})], \
        "table 'peple' is not in the database (did you mean 'people'?)"


def case_unknown_column_in_schema(tmp_path):
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", _schema(tmp_path, {"people": {"time_column": "bron"}})], \
        "column 'bron' is not in table 'people' (did you mean 'born'?)"


def case_malformed_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("tables:\n  people: [unclosed\n")
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", str(path)], "is not valid YAML at line"


def case_schema_file_missing(tmp_path):
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", str(tmp_path / "none.yaml")], "schema file not found"


def case_unknown_schema_field(tmp_path):
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", _schema(tmp_path, {"people": {"primary": "pid"}})], \
        "table 'people' has unknown field(s) ['primary']"


def case_foreign_key_type_mismatch(tmp_path):
    people = PEOPLE.drop_duplicates("pid")
    schema = _schema(tmp_path, {"orders": {"foreign_keys": [{"columns": "buyer", "references_table": "people"}]},
                                "people": {"primary_key": "pid"}})
    return [_db(tmp_path, {"people": people, "orders": ORDERS}), "--schema", schema], \
        "type mismatch, orders.buyer is VARCHAR but people.pid is BIGINT"


def case_foreign_key_to_table_without_key(tmp_path):
    schema = _schema(tmp_path, {"orders": {"foreign_keys": [{"columns": "seller", "references_table": "people"}]},
                                "people": {"primary_key": None}})
    return [_db(tmp_path, {"people": PEOPLE, "orders": ORDERS}), "--schema", schema], \
        "references table 'people', which has no primary key"


def case_foreign_key_to_non_key_columns(tmp_path):
    people = PEOPLE.drop_duplicates("pid")
    schema = _schema(tmp_path, {"orders": {"foreign_keys": [
        {"columns": "seller", "references_table": "people", "references_columns": "flag"}]},
        "people": {"primary_key": "pid"}})
    return [_db(tmp_path, {"people": people, "orders": ORDERS}), "--schema", schema], \
        "does not reference the primary key of 'people' (pid)"


def case_unparsable_time_column(tmp_path):
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", _schema(tmp_path, {"people": {"time_column": "born"}})], \
        "time column people.born: no value parses as a time (e.g. 'w')"


def case_time_column_of_wrong_type(tmp_path):
    frames = {"people": PEOPLE.assign(score=[0.5, 1.5, 2.5, 3.5])}
    return [_db(tmp_path, frames), "--schema", _schema(tmp_path, {"people": {"time_column": "score"}})], \
        "time column people.score has type DOUBLE, which cannot hold times"


def case_unreachable_postgres(tmp_path):
    return ["postgresql://nobody@127.0.0.1:1/none"], "cannot connect to postgresql+psycopg://nobody@127.0.0.1:1/none"


def case_output_over_the_database(tmp_path):
    db = _db(tmp_path, {"people": PEOPLE.drop_duplicates("pid")})
    return [db, "--diagram", db], "refusing to write"


CASES = [v for k, v in sorted(globals().items()) if k.startswith("case_")]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_bad_input_gives_one_clear_message(case, tmp_path, run_cli):
    args, expected = case(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code, stdout, stderr = run_cli("inspect", *args, "--write-schema", str(tmp_path / "out.yaml"))
    assert code == 2, stdout + stderr
    message = " ".join(stderr.split())
    assert message.startswith("error: ")
    assert expected in message
    assert "Traceback" not in stdout + stderr
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing changed


def test_warnings_do_not_stop_the_command(tmp_path, run_cli):
    people = PEOPLE.drop_duplicates("pid").assign(born=["2020-01-01", "garbage", None])
    db = _db(tmp_path, {"people": people, "orders": ORDERS, "empty": pd.DataFrame({"x": pd.Series([], dtype=int)})})
    schema = _schema(tmp_path, {"people": {"primary_key": "pid", "time_column": "born"},
                                "orders": {"foreign_keys": [{"columns": "seller", "references_table": "people"}]}})
    code, stdout, stderr = run_cli("inspect", db, "--schema", schema, "--json")
    assert code == 0, stderr
    import json
    warnings = json.loads(stdout)["warnings"]
    assert "table 'empty' is empty" in warnings
    assert any("people.born: 1 of 2 values do not parse as times (e.g. 'garbage')" in w for w in warnings)
    assert any("people.born is NULL in 1 of 3 rows" in w for w in warnings)
    assert any("orders.seller -> people.pid: 1 of 3 rows (33.3%) point at no row (e.g. 7)" in w for w in warnings)


def test_foreign_key_cycles_are_reported(tmp_path, run_cli):
    a = pd.DataFrame({"a_id": [1, 2], "b_ref": [1, 2]})
    b = pd.DataFrame({"b_id": [1, 2], "a_ref": [1, 2]})
    schema = _schema(tmp_path, {
        "a": {"primary_key": "a_id", "foreign_keys": [{"columns": "b_ref", "references_table": "b"}]},
        "b": {"primary_key": "b_id", "foreign_keys": [{"columns": "a_ref", "references_table": "a"}]}})
    code, stdout, _ = run_cli("inspect", _db(tmp_path, {"a": a, "b": b}), "--schema", schema, "--json")
    assert code == 0
    import json
    assert "foreign-key cycle a -> b -> a" in json.loads(stdout)["warnings"]


def test_sqlite_file_with_no_tables(tmp_path, run_cli):
    path = tmp_path / "blank.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (x)")
        con.execute("DROP TABLE t")
    con.close()
    code, _, stderr = run_cli("inspect", path)
    assert code == 2 and "has no tables" in stderr


def test_column_types_are_kept_and_checked(tmp_path, run_cli):
    db = _db(tmp_path, {"people": PEOPLE.drop_duplicates("pid")})
    good = _schema(tmp_path, {"people": {"column_types": {"name": "text", "flag": "categorical"}}})
    code, stdout, _ = run_cli("inspect", db, "--schema", good, "--write-schema", tmp_path / "out.yaml")
    assert code == 0
    assert yaml.safe_load((tmp_path / "out.yaml").read_text())["tables"]["people"]["column_types"] == {
        "name": "text", "flag": "categorical"}
    bad = _schema(tmp_path, {"people": {"column_types": {"name": "words"}}})
    code, _, stderr = run_cli("inspect", db, "--schema", bad)
    assert code == 2 and "'name' has type 'words'; expected one of numerical" in " ".join(stderr.split())

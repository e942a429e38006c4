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


PEOPLE = pd.DataFrame(
    {
        "pid": [1, 2, 2, 3],
        "name": ["a", "b", "c", None],
        "born": ["x", "y", "z", "w"],
        "flag": [True, False, True, True],
    }
)
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
    return [
        _db(tmp_path, {"people": PEOPLE}),
        "--schema",
        _schema(tmp_path, {"people": {"primary_key": "pid"}}),
    ], "primary key people.pid is not unique: 1 duplicate rows (e.g. 2)"


def case_null_primary_key(tmp_path):
    return [
        _db(tmp_path, {"people": PEOPLE}),
        "--schema",
        _schema(tmp_path, {"people": {"primary_key": "name"}}),
    ], "primary key people.name is NULL in 1 of 4 rows"


def case_unknown_table_in_schema(tmp_path):
    return [
        _db(tmp_path, {"people": PEOPLE}),
        "--schema",
        _schema(tmp_path, {"peple": {"primary_key": "pid"}}),
    ], "table 'peple' is not in the database (did you mean 'people'?)"


def case_unknown_column_in_schema(tmp_path):
    return [
        _db(tmp_path, {"people": PEOPLE}),
        "--schema",
        _schema(tmp_path, {"people": {"time_column": "bron"}}),
    ], "column 'bron' is not in table 'people' (did you mean 'born'?)"


def case_malformed_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("tables:\n  people: [unclosed\n")
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", str(path)], "is not valid YAML at line"


def case_schema_file_missing(tmp_path):
    return [_db(tmp_path, {"people": PEOPLE}), "--schema", str(tmp_path / "none.yaml")], "schema file not found"


def case_unknown_schema_field(tmp_path):
    return [
        _db(tmp_path, {"people": PEOPLE}),
        "--schema",
        _schema(tmp_path, {"people": {"primary": "pid"}}),
    ], "table 'people' has unknown field(s) ['primary']"


def case_foreign_key_type_mismatch(tmp_path):
    people = PEOPLE.drop_duplicates("pid")
    schema = _schema(
        tmp_path,
        {
            "orders": {"foreign_keys": [{"columns": "buyer", "references_table": "people"}]},
            "people": {"primary_key": "pid"},
        },
    )
    return [
        _db(tmp_path, {"people": people, "orders": ORDERS}),
        "--schema",
        schema,
    ], "type mismatch, orders.buyer is VARCHAR but people.pid is BIGINT"


def case_foreign_key_to_table_without_key(tmp_path):
    schema = _schema(
        tmp_path,
        {
            "orders": {"foreign_keys": [{"columns": "seller", "references_table": "people"}]},
            "people": {"primary_key": None},
        },
    )
    return [
        _db(tmp_path, {"people": PEOPLE, "orders": ORDERS}),
        "--schema",
        schema,
    ], "references table 'people', which has no primary key"


def case_foreign_key_to_non_key_columns(tmp_path):
    people = PEOPLE.drop_duplicates("pid")
    schema = _schema(
        tmp_path,
        {
            "orders": {
                "foreign_keys": [{"columns": "seller", "references_table": "people", "references_columns": "flag"}]
            },
            "people": {"primary_key": "pid"},
        },
    )
    return [
        _db(tmp_path, {"people": people, "orders": ORDERS}),
        "--schema",
        schema,
    ], "does not reference the primary key of 'people' (pid)"


def case_unparsable_time_column(tmp_path):
    return [
        _db(tmp_path, {"people": PEOPLE}),
        "--schema",
        _schema(tmp_path, {"people": {"time_column": "born"}}),
    ], "time column people.born: no value parses as a time (e.g. 'w')"


def case_time_column_of_wrong_type(tmp_path):
    frames = {"people": PEOPLE.assign(score=[0.5, 1.5, 2.5, 3.5])}
    return [
        _db(tmp_path, frames),
        "--schema",
        _schema(tmp_path, {"people": {"time_column": "score"}}),
    ], "time column people.score has type DOUBLE, which cannot hold times"


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
    schema = _schema(
        tmp_path,
        {
            "people": {"primary_key": "pid", "time_column": "born"},
            "orders": {"foreign_keys": [{"columns": "seller", "references_table": "people"}]},
        },
    )
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
    schema = _schema(
        tmp_path,
        {
            "a": {"primary_key": "a_id", "foreign_keys": [{"columns": "b_ref", "references_table": "b"}]},
            "b": {"primary_key": "b_id", "foreign_keys": [{"columns": "a_ref", "references_table": "a"}]},
        },
    )
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
        "name": "text",
        "flag": "categorical",
    }
    bad = _schema(tmp_path, {"people": {"column_types": {"name": "words"}}})
    code, _, stderr = run_cli("inspect", db, "--schema", bad)
    assert code == 2 and "'name' has type 'words'; expected one of numerical" in " ".join(stderr.split())


# ---- Every other command: the same promise. A case returns (arguments, expected message). ----

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
FIT = [
    "--channels",
    "16",
    "--fanout",
    "8,4",
    "--max-steps",
    "2",
    "--batch-size",
    "8",
    "--step",
    "1 days",
    "--epochs",
    "1",
    "--text-embedder",
    "hashing",
    "--no-baselines",
]


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory) -> str:
    from conftest import shop_frames

    return str(write_sqlite(shop_frames(), tmp_path_factory.mktemp("shop") / "shop.sqlite"))


@pytest.fixture(scope="module")
def model_dir(shop_file, tmp_path_factory):
    import relpool

    out = tmp_path_factory.mktemp("model") / "m"
    relpool.fit(
        shop_file,
        QUERY,
        out,
        channels=16,
        fanout=(8, 4),
        epochs=1,
        max_steps=2,
        batch_size=8,
        step="1 days",
        text_embedder="hashing",
    )
    return out


def _model_copy(ctx, edit=None, config=None):
    """A copy of the trained model in the test's folder; ``edit(folder)`` damages it, ``config(dict)`` edits
    config.json as an older relpool without the config checksum would have written it."""
    import json
    import shutil

    folder = shutil.copytree(ctx["model"], ctx["tmp"] / "copy")
    if config is not None:
        data = json.loads((folder / "config.json").read_text())
        data.pop("config_sha256")
        config(data)
        (folder / "config.json").write_text(json.dumps(data))
    if edit is not None:
        edit(folder)
    return folder


def _shop(ctx, change) -> str:
    from conftest import shop_frames

    frames = shop_frames()
    change(frames)
    return str(write_sqlite(frames, ctx["tmp"] / "changed.sqlite"))


def _replace_window(data):
    data["query"] = data["query"].replace("0, 3, days", "0, 30, days")


COMMAND_CASES = {
    # task
    "task syntax error": lambda c: (
        ["task", c["db"], "PREDICT COUNT(transactions.*, 0, 3, days) > FOR EACH x.y"],
        "syntax error at position 45: expected one of",
    ),
    "task empty query": lambda c: (["task", c["db"], " "], "the query is empty"),
    "task unknown table": lambda c: (
        ["task", c["db"], QUERY.replace("transactions.*", "transaction.*")],
        "did you mean 'transactions'",
    ),
    "task bad step": lambda c: (["task", c["db"], QUERY, "--step", "7 dayz"], "--step must look like '7 days'"),
    "task bad val-at": lambda c: (
        ["task", c["db"], QUERY, "--val-at", "yesterday"],
        "--val-at: cannot read 'yesterday' as a date or time",
    ),
    "task val after test": lambda c: (
        ["task", c["db"], QUERY, "--val-at", "2020-01-20", "--test-at", "2020-01-10"],
        "must come before the test cutoff",
    ),
    "task test-at too late": lambda c: (
        ["task", c["db"], QUERY, "--test-at", "2031-01-01"],
        "leaves an incomplete label window",
    ),
    # fit
    "fit bad fanout": lambda c: (
        ["fit", c["db"], QUERY, "--out", c["tmp"] / "m", *FIT, "--fanout", "8,x"],
        "--fanout must be positive integers separated by commas",
    ),
    "fit unknown pool": lambda c: (
        ["fit", c["db"], QUERY, "--out", c["tmp"] / "m", *FIT, "--pool", "avg"],
        "unknown pool 'avg'; choose one of",
    ),
    "fit unknown strategy": lambda c: (
        ["fit", c["db"], QUERY, "--out", c["tmp"] / "m", *FIT, "--strategy", "latest"],
        "--strategy must be uniform or recent",
    ),
    "fit unknown embedder": lambda c: (
        ["fit", c["db"], QUERY, "--out", c["tmp"] / "m", *FIT, "--text-embedder", "bert"],
        "--text-embedder must be minilm or hashing",
    ),
    "fit out over the database": lambda c: (["fit", c["db"], QUERY, "--out", c["db"], *FIT], "refusing to write"),
    "fit out with the user's files": lambda c: (
        ["fit", c["db"], QUERY, "--out", _users_folder(c), *FIT, "--force"],
        "is a folder with other files in it",
    ),
    "fit out holds a model": lambda c: (
        ["fit", c["db"], QUERY, "--out", _model_copy(c), *FIT],
        "already holds a relpool model; add --resume",
    ),
    "fit out under a file": lambda c: (
        ["fit", c["db"], QUERY, "--out", c["tmp"] / "schema.txt" / "m", *FIT],
        "schema.txt is a file, not a folder",
    ),
    "fit resume another query": lambda c: (
        ["fit", c["db"], QUERY.replace("0, 3", "0, 2"), "--out", _model_copy(c), *FIT, "--resume"],
        "holds a checkpoint of a different run (query or options differ)",
    ),
    "fit malformed query": lambda c: (
        ["fit", c["db"], "PREDICT nonsense", "--out", c["tmp"] / "m", *FIT],
        "syntax error at position 17",
    ),
    "fit missing database": lambda c: (
        ["fit", c["tmp"] / "gone.sqlite", QUERY, "--out", c["tmp"] / "m", *FIT],
        "database not found",
    ),
    # evaluate
    "evaluate missing model dir": lambda c: (["evaluate", c["tmp"] / "nomodel", c["db"]], "model directory not found"),
    "evaluate not a model dir": lambda c: (
        ["evaluate", _users_folder(c), c["db"]],
        "config.json is missing; not a relpool model directory",
    ),
    "evaluate config not json": lambda c: (
        ["evaluate", _model_copy(c, lambda f: (f / "config.json").write_text("{not json")), c["db"]],
        "config.json is not valid JSON",
    ),
    "evaluate config of another format": lambda c: (
        ["evaluate", _model_copy(c, config=lambda d: d.update(format=99)), c["db"]],
        "is not a relpool model (format 99, expected 1)",
    ),
    "evaluate edited config": lambda c: (
        [
            "evaluate",
            _model_copy(
                c,
                lambda f: (f / "config.json").write_text(
                    (f / "config.json").read_text().replace("0, 3, days", "0, 30, days")
                ),
            ),
            c["db"],
        ],
        "config.json was edited after training (it no longer matches its checksum)",
    ),
    "evaluate damaged old config": lambda c: (
        ["evaluate", _model_copy(c, config=lambda d: d["encoders"]["products"].pop("col_stats")), c["db"]],
        "config.json is damaged: encoders.products is not what relpool wrote",
    ),
    "evaluate unknown model field": lambda c: (
        ["evaluate", _model_copy(c, config=lambda d: d["model"].update(bogus=1)), c["db"]],
        "config.json is damaged: ModelSpec.__init__() got an unexpected keyword argument 'bogus'",
    ),
    "evaluate weights missing": lambda c: (
        ["evaluate", _model_copy(c, lambda f: (f / "model.safetensors").unlink()), c["db"]],
        "model.safetensors is missing",
    ),
    "evaluate weights truncated": lambda c: (
        [
            "evaluate",
            _model_copy(
                c, lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:100])
            ),
            c["db"],
        ],
        "does not match the checksum in config.json: it was truncated or modified",
    ),
    "evaluate table dropped": lambda c: (
        ["evaluate", c["model"], _shop(c, lambda f: f.pop("daily"))],
        "the database has no table 'daily', which the model was trained with",
    ),
    "evaluate key column renamed": lambda c: (
        [
            "evaluate",
            c["model"],
            _shop(c, lambda f: f.update(customers=f["customers"].rename(columns={"customer_id": "cid"}))),
        ],
        "the database lacks column(s) customers.customer_id, which the model was trained with",
    ),
    "evaluate duplicate keys": lambda c: (
        ["evaluate", c["model"], _shop(c, lambda f: f.update(customers=f["customers"].assign(customer_id=1)))],
        "primary key customers.customer_id is not unique",
    ),
    # predict
    "predict bad at": lambda c: (
        ["predict", c["model"], c["db"], "--out", c["tmp"] / "p.parquet", "--at", "noon-ish"],
        "--at: cannot read 'noon-ish' as a date or time",
    ),
    "predict at before every entity": lambda c: (
        ["predict", c["model"], c["db"], "--out", c["tmp"] / "p.parquet", "--at", "1900-01-01"],
        "no customers exists at 1900-01-01 00:00:00",
    ),
    "predict wrong suffix": lambda c: (
        ["predict", c["model"], c["db"], "--out", c["tmp"] / "p.txt"],
        "--out must end in .parquet or .csv, or name a table",
    ),
    "predict out is a folder": lambda c: (
        ["predict", c["model"], c["db"], "--out", _folder(c, "p.parquet")],
        "is a folder; give a file name ending in .parquet or .csv",
    ),
    "predict into the model dir": lambda c: (
        ["predict", c["model"], c["db"], "--out", c["model"] / "p.parquet"],
        "refusing to write",
    ),
    "predict column type changed": lambda c: (
        [
            "predict",
            c["model"],
            _shop(c, lambda f: f.update(transactions=f["transactions"].assign(amount="lots"))),
            "--out",
            c["tmp"] / "p.parquet",
        ],
        "table 'transactions' cannot be encoded the way the model was trained: Conversion Error",
    ),
    "predict missing model dir": lambda c: (
        ["predict", c["tmp"] / "nomodel", c["db"], "--out", c["tmp"] / "p.csv"],
        "model directory not found",
    ),
    # baseline
    "baseline unknown kind": lambda c: (
        ["baseline", c["db"], QUERY, "--out", c["tmp"] / "b", "--kind", "nn"],
        "--kind must be one of entity, autofeat, got 'nn'",
    ),
    "baseline malformed query": lambda c: (
        ["baseline", c["db"], "PREDICT x", "--out", c["tmp"] / "b"],
        "syntax error at position 10",
    ),
    "baseline out is a file": lambda c: (
        ["baseline", c["db"], QUERY, "--out", c["tmp"] / "schema.txt"],
        "is a file; give a folder",
    ),
    "baseline bad step": lambda c: (
        ["baseline", c["db"], QUERY, "--out", c["tmp"] / "b", "--step", "1 fortnight"],
        "--step must look like '7 days'",
    ),
    # synth
    "synth no entities": lambda c: (
        ["synth", "--out", c["tmp"] / "s", "--entities", "0"],
        "--entities must be at least 1, got 0",
    ),
    "synth snr above one": lambda c: (
        ["synth", "--out", c["tmp"] / "s", "--snr", "1.5"],
        "--snr must be in (0, 1], got 1.5",
    ),
    "synth unknown format": lambda c: (
        ["synth", "--out", c["tmp"] / "s", "--format", "xml"],
        "--format must be one of sqlite, parquet, got 'xml'",
    ),
    "synth out not empty": lambda c: (
        ["synth", "--out", _users_folder(c)],
        "already exists and is not an empty folder",
    ),
    # demo
    "demo out is a file": lambda c: (["demo", "--out", c["tmp"] / "schema.txt"], "is a file; give a folder"),
    "demo out with the user's files": lambda c: (
        ["demo", "--out", _users_folder(c)],
        "is a folder with other files in it",
    ),
}


def _users_folder(ctx):
    folder = ctx["tmp"] / "mine"
    folder.mkdir(exist_ok=True)
    (folder / "thesis.tex").write_text("years of work")
    return folder


def _folder(ctx, name):
    (ctx["tmp"] / name).mkdir()
    return ctx["tmp"] / name


def _snapshot(*roots) -> dict:
    return {p: p.read_bytes() if p.is_file() else "folder" for root in roots for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("name", list(COMMAND_CASES))
def test_every_command_gives_one_clear_message(name, tmp_path, shop_file, model_dir, runner):
    from relpool.cli import app

    (tmp_path / "schema.txt").write_text("not a folder")
    args, expected = COMMAND_CASES[name]({"tmp": tmp_path, "db": shop_file, "model": model_dir})
    before = _snapshot(tmp_path, model_dir.parent)
    result = runner.invoke(app, [str(a) for a in args])
    output = result.stdout + result.stderr
    assert result.exit_code == 2, output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in output  # no exception escaped
    message = " ".join(result.stderr.split())
    lines = result.stderr.strip().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("error: "))  # a query error adds a caret line
    assert all(line.startswith(("warning: ", "note: ")) for line in lines[:first]), message
    assert expected in message, message
    assert _snapshot(tmp_path, model_dir.parent) == before  # nothing written, nothing changed


def test_there_are_at_least_forty_bad_input_cases_across_every_command():
    assert len(CASES) + len(COMMAND_CASES) >= 40
    assert {name.split()[0] for name in COMMAND_CASES} == {
        "task",
        "fit",
        "evaluate",
        "predict",
        "baseline",
        "synth",
        "demo",
    }


def test_a_url_whose_port_is_not_a_number_is_one_clear_error(run_cli):
    code, out, err = run_cli("inspect", "postgresql://user@db.example:abc/shop")
    assert code == 2 and out == "" and "Traceback" not in err
    assert "not a valid SQLAlchemy URL: postgresql://user@db.example:abc/shop" in " ".join(err.split())

"""First contact with real databases: sparse tables, output folders, permissions, edited or drifted
model directories, absurd options, Ctrl-C, and the Python API's argument checks."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from conftest import shop_frames

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.nn.gnn import RelationalLayer

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(
    channels=16, fanout=(8, 4), epochs=1, max_steps=3, batch_size=8, step="1 days", text_embedder=HashingEmbedder(8)
)
FIT_ARGS = [
    "--channels",
    "16",
    "--fanout",
    "8,4",
    "--max-steps",
    "3",
    "--batch-size",
    "8",
    "--step",
    "1 days",
    "--epochs",
    "2",
    "--text-embedder",
    "hashing",
    "--no-baselines",
]


def sparse_frames() -> dict[str, pd.DataFrame]:
    """The shop, plus complaints filed by one customer only: almost no mini-batch holds a complaint."""
    frames = shop_frames()
    frames["complaints"] = pd.DataFrame(
        {"complaint_id": [1, 2], "customer_id": [1, 1], "filed": ["2020-01-03", "2020-01-05"], "severity": [1.0, 3.0]}
    )
    return frames


# ---- 1. Node types missing from a mini-batch ----


def test_a_table_with_rows_for_few_entities_trains_and_predicts(tmp_path):
    frames = sparse_frames()
    model = relpool.fit(frames, QUERY, tmp_path / "m", **{**TINY, "epochs": 2})
    assert ["complaints", "fk_customer_id", "customers"] in model.config["model"]["edge_types"]
    assert all(pd.notna(v) for v in model.metrics["test"].values())
    for at in ("2020-01-02", None):  # before any complaint exists, and after
        predictions = model.predict(frames, at=at)
        assert len(predictions) > 0 and predictions["probability"].between(0, 1).all()


def _with_empty_complaints(tmp_path):
    """The shop plus an empty complaints table linked to customers (declared: nothing to infer from)."""
    import yaml

    frames = {
        **shop_frames(),
        "complaints": pd.DataFrame(
            {
                "complaint_id": pd.Series([], dtype=int),
                "customer_id": pd.Series([], dtype=int),
                "filed": pd.Series([], dtype="datetime64[ns]"),
                "severity": pd.Series([], dtype=float),
            }
        ),
    }
    schema = tmp_path / "schema.yaml"
    schema.write_text(
        yaml.safe_dump(
            {
                "tables": {
                    "complaints": {
                        "primary_key": "complaint_id",
                        "time_column": "filed",
                        "foreign_keys": [{"columns": "customer_id", "references_table": "customers"}],
                    }
                }
            }
        )
    )
    return frames, schema


def test_an_empty_table_linked_to_the_entity_trains_and_predicts(tmp_path):
    frames, schema = _with_empty_complaints(tmp_path)
    model = relpool.fit(frames, QUERY, tmp_path / "m", schema=schema, **TINY)  # no batch ever holds a complaint
    assert ["complaints", "fk_customer_id", "customers"] in model.config["model"]["edge_types"]
    assert len(model.predict(frames)) == 60


def test_message_passing_skips_edge_types_whose_source_or_target_is_absent():
    layer = RelationalLayer(["a", "b", "c"], [("b", "to", "a"), ("c", "to", "a"), ("a", "to", "c")], 8, "adaptive")
    x = {"a": torch.randn(3, 8), "b": torch.randn(2, 8)}  # no "c" rows in this batch
    edges = {
        ("b", "to", "a"): torch.tensor([[0, 1], [0, 2]]),
        ("c", "to", "a"): torch.empty(2, 0, dtype=torch.long),
        ("a", "to", "c"): torch.empty(2, 0, dtype=torch.long),
    }
    out = layer(x, edges)
    assert set(out) == {"a", "b"} and all(torch.isfinite(v).all() for v in out.values())


# ---- 2. The output folder: never over the user's files, nothing half-written ----


def _listing(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_fit_creates_missing_parent_folders(shop_db, tmp_path, run_cli):
    code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "runs" / "late" / "m", *FIT_ARGS)
    assert code == 0, stderr
    assert (tmp_path / "runs" / "late" / "m" / "model.safetensors").is_file()
    assert _listing(tmp_path / "runs" / "late") >= {"m", "m/config.json"}
    assert not [p for p in _listing(tmp_path) if ".partial" in p]  # the staging folder was renamed


def test_fit_refuses_a_folder_with_the_users_files(shop_db, tmp_path, run_cli):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", mine, "--force", "--epochs", "1")
    assert code == 2 and "is a folder with other files in it" in " ".join(stderr.split())
    assert _listing(mine) == {"thesis.tex"} and (mine / "thesis.tex").read_text() == "years of work"


def test_fit_refuses_an_earlier_model_unless_resumed_or_forced(shop_db, tmp_path):
    out = tmp_path / "m"
    relpool.fit(shop_db, QUERY, out, **TINY)
    before = (out / "model.safetensors").read_bytes()
    with pytest.raises(RelpoolError, match="already holds a relpool model; add --resume .* --force"):
        relpool.fit(shop_db, QUERY, out, **TINY)
    assert (out / "model.safetensors").read_bytes() == before
    relpool.fit(shop_db, QUERY, out, **{**TINY, "seed": 1}, force=True)
    assert (out / "model.safetensors").read_bytes() != before
    assert not [p for p in _listing(tmp_path) if ".old" in p or ".partial" in p]


def test_fit_into_an_empty_folder_uses_it(shop_db, tmp_path):
    (tmp_path / "empty").mkdir()
    relpool.fit(shop_db, QUERY, tmp_path / "empty", **TINY)
    assert (tmp_path / "empty" / "config.json").is_file()


def test_a_failed_fit_leaves_nothing_behind(shop_db, tmp_path, monkeypatch):
    import relpool.train.fit as fit_module

    def broken(*args, **kwargs):
        raise RelpoolError("disk on fire")

    monkeypatch.setattr(fit_module, "write_model_dir", broken)  # fails after training, inside the folder
    with pytest.raises(RelpoolError, match="disk on fire"):
        relpool.fit(shop_db, QUERY, tmp_path / "new" / "deeper" / "m", **TINY)
    assert _listing(tmp_path) == set()  # no model folder, no partial folder, no created parents


def test_a_bad_query_fails_before_anything_is_created(shop_db, tmp_path, run_cli):
    code, _, stderr = run_cli(
        "fit",
        shop_db,
        "PREDICT COUNT(nope.*, 0, 3, days) > 0 FOR EACH customers.customer_id",
        "--out",
        tmp_path / "runs" / "m",
        "--text-embedder",
        "hashing",
    )
    assert code == 2 and "Traceback" not in stderr
    assert _listing(tmp_path) == set()


# ---- Ctrl-C: one line, exit code 130, the checkpoint kept for --resume ----


def _interrupt_at_epoch(monkeypatch, epoch: int):
    from relpool.train.loop import Loop

    original = Loop.train_epoch

    def train_epoch(self, train, e, on_step=None):
        if e == epoch:
            raise KeyboardInterrupt
        return original(self, train, e, on_step)

    monkeypatch.setattr(Loop, "train_epoch", train_epoch)


def test_ctrl_c_keeps_the_checkpoint_and_resume_finishes(shop_db, tmp_path, run_cli, monkeypatch):
    out = tmp_path / "m"
    _interrupt_at_epoch(monkeypatch, 2)
    code, stdout, stderr = run_cli("fit", shop_db, QUERY, "--out", out, *FIT_ARGS)
    assert code == 130 and stderr.strip().splitlines()[-1] == "interrupted; resume with --resume"
    assert "Traceback" not in stdout + stderr
    assert not out.exists() and (tmp_path / ".m.partial" / "checkpoint" / "state.json").is_file()
    code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", out, *FIT_ARGS)  # neither --resume nor --force
    assert code == 2 and "an interrupted run of this model is in" in " ".join(stderr.split())
    monkeypatch.undo()
    code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", out, *FIT_ARGS, "--resume")
    assert code == 0, stderr
    assert "resuming after epoch 1" in stderr and (out / "report.html").is_file()
    assert _listing(tmp_path) == {"m"} | {f"m/{p}" for p in _listing(out)}


def test_ctrl_c_before_the_first_checkpoint_leaves_nothing(shop_db, tmp_path, run_cli, monkeypatch):
    _interrupt_at_epoch(monkeypatch, 1)
    code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "runs" / "m", *FIT_ARGS)
    assert code == 130 and stderr.strip().splitlines()[-1] == "interrupted; nothing was written"
    assert _listing(tmp_path) == set()


def test_a_real_sigint_exits_130_without_a_traceback(shop_db, tmp_path):
    import json
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "m"
    # Python keeps SIGINT ignored when it starts ignored, as every command of a background job does (a CI
    # runner started with `&`): the child restores Ctrl-C's handler first, then runs `python -m relpool.cli`.
    restore_ctrl_c = (
        "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "runpy.run_module('relpool.cli', run_name='__main__', alter_sys=True)"
    )
    command = [
        sys.executable,
        "-c",
        restore_ctrl_c,
        "fit",
        "--budget",
        "0",  # one network, as the API fit it is compared with (tests set the default budget to 0)
        shop_db,
        QUERY,
        "--out",
        str(out),
        *FIT_ARGS,
        "--epochs",
        "50",
        "--patience",
        "50",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state = tmp_path / ".m.partial" / "checkpoint" / "state.json"
    deadline = time.time() + 240
    while time.time() < deadline and not (state.exists() and json.loads(state.read_text())["epoch"] >= 1):
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stdout + stderr
    assert stderr.strip().splitlines()[-1] == "interrupted; resume with --resume"
    assert json.loads(state.read_text())["epoch"] < 50


# ---- 3. Permissions: what the umask says, not mkstemp's 0600 ----


def test_written_files_honour_the_umask(shop_db, tmp_path, run_cli):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = tmp_path / "runs" / "m"
        assert run_cli("fit", shop_db, QUERY, "--out", out, *FIT_ARGS, "--epochs", "1")[0] == 0
        assert run_cli("predict", out, shop_db, "--out", tmp_path / "p.csv")[0] == 0
        assert run_cli("inspect", shop_db, "--write-schema", tmp_path / "s.yaml")[0] == 0
    finally:
        os.umask(old)
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*")}
    files = {p: m for p, m in modes.items() if (tmp_path / p).is_file()}
    folders = {p: m for p, m in modes.items() if (tmp_path / p).is_dir()}
    assert {"runs/m/model.safetensors", "runs/m/config.json", "runs/m/report.html", "p.csv", "s.yaml"} <= set(files)
    assert set(files.values()) == {0o644}, files
    assert set(folders.values()) == {0o755}, folders


# ---- 4. An edited config.json is refused; 5. a database that changed since training ----


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("trained") / "m"
    relpool.fit(shop_frames(), QUERY, out, **TINY)
    return out


def _copy(trained, tmp_path):
    import shutil

    return shutil.copytree(trained, tmp_path / "copy")


def test_an_edited_query_window_is_refused(trained, tmp_path, run_cli, shop_db):
    import json

    folder = _copy(trained, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["query"] = config["query"].replace("0, 3, days", "0, 30, days")
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    code, stdout, stderr = run_cli("evaluate", folder, shop_db)
    assert code == 2 and stdout == ""
    assert "config.json was edited after training (it no longer matches its checksum)" in " ".join(stderr.split())


def test_the_config_checksum_ignores_formatting(trained, tmp_path, shop_db):
    import json

    folder = _copy(trained, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config, sort_keys=True))  # same content, other layout
    assert relpool.Model.load(folder).evaluate(shop_db) == relpool.Model.load(trained).evaluate(shop_db)


def test_extra_tables_and_columns_are_ignored_with_a_note(trained, tmp_path, run_cli):
    from conftest import write_sqlite

    frames = shop_frames()
    frames["returns"] = pd.DataFrame({"return_id": [1, 2], "transaction_id": [1000, 1001], "at": ["2020-01-09"] * 2})
    frames["customers"] = frames["customers"].assign(vip=1.5)
    grown = write_sqlite(frames, tmp_path / "grown.sqlite")
    code, _, stderr = run_cli("predict", trained, grown, "--out", tmp_path / "p.parquet")
    message = " ".join(stderr.split())
    assert code == 0, stderr
    assert "note: ignoring table(s) 'returns', which the model was not trained with" in message
    assert "note: ignoring column(s) customers.vip, which the model was not trained with" in message
    same = relpool.Model.load(trained).predict(shop_frames())
    written = pd.read_parquet(tmp_path / "p.parquet").drop(columns=["model_id", "created_at"])
    pd.testing.assert_frame_equal(written, same)  # the extras changed nothing


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f: f["transactions"].drop(columns=["amount", "quantity"]),
            "the database lacks column(s) transactions.amount, transactions.quantity, which the model was trained with",
        ),
        (
            lambda f: f["transactions"].drop(columns="customer_id"),
            "the database lacks column(s) transactions.customer_id, which the model was trained with",
        ),
        (
            lambda f: f["transactions"].assign(amount="lots"),
            "table 'transactions' cannot be encoded the way the model was trained: Conversion Error: Could not convert "
            "string 'lots' to DOUBLE when casting from source column amount",
        ),
    ],
)
def test_a_column_the_model_needs_is_one_clear_error(change, message, trained, tmp_path, run_cli):
    from conftest import write_sqlite

    frames = shop_frames()
    frames["transactions"] = change(frames)
    db = write_sqlite(frames, tmp_path / "changed.sqlite")
    code, stdout, stderr = run_cli("predict", trained, db, "--out", tmp_path / "p.parquet")
    assert code == 2 and message in " ".join(stderr.split()), stderr
    assert not (tmp_path / "p.parquet").exists()


# ---- 6. Absurd fanout, out of memory, unwritable output ----


def test_a_fanout_that_cannot_fit_in_memory_is_refused_up_front(shop_db, tmp_path, run_cli, monkeypatch):
    from relpool.train import memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 1 << 20)  # a machine with 1 MiB free
    code, _, stderr = run_cli(
        "fit", shop_db, QUERY, "--out", tmp_path / "m", *FIT_ARGS, "--fanout", "100000,100000", "--batch-size", "100000"
    )
    message = " ".join(stderr.split())
    assert code == 2 and "--fanout 100000,100000 with --batch-size 100000 samples about" in message
    assert "GiB of memory is available: lower --fanout or --batch-size" in message
    assert _listing(tmp_path) == set()
    monkeypatch.undo()
    code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "m", *FIT_ARGS)  # the usual fanout fits
    assert code == 0, stderr


def test_the_memory_estimate_grows_with_fanout_and_batch(shop_db):
    from relpool.db import inspect_database
    from relpool.graph.build import build_graph
    from relpool.train.memory import check_batch_fits

    graph = build_graph(inspect_database(shop_db)).graph
    seeds, cutoffs = pd.Series(range(60)).to_numpy(), pd.Series([2**40] * 60).to_numpy()
    common = dict(strategy="uniform", channels=32, layers=2, budget=1 << 20)
    check_batch_fits(graph, "customers", seeds, cutoffs, fanout=(2,), batch_size=8, **common)
    with pytest.raises(RelpoolError, match=r"--fanout 1000,1000,1000 with --batch-size 60 samples about [\d,]+ rows"):
        check_batch_fits(graph, "customers", seeds, cutoffs, fanout=(1000, 1000, 1000), batch_size=60, **common)


def test_running_out_of_memory_while_training_is_one_clear_error(shop_db, tmp_path, run_cli, monkeypatch):
    from relpool.train.loop import Loop

    def exhausted(*args, **kwargs):
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: not enough memory: "
            "you tried to allocate 98765432100 bytes."
        )

    monkeypatch.setattr(Loop, "train_epoch", exhausted)
    code, stdout, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "m", *FIT_ARGS)
    assert code == 2 and "Traceback" not in stdout + stderr
    assert "ran out of memory training with --fanout 8,4, --batch-size 8 and --channels 16; lower them" in " ".join(
        stderr.split()
    )
    assert _listing(tmp_path) == set()


def _immutable(folder):
    """A folder even root cannot write into (chattr +i), or None where the file system does not allow it."""
    import shutil
    import subprocess

    folder.mkdir()
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        return folder
    return None


@pytest.mark.parametrize("where", ["under a file", "immutable folder"])
def test_an_unwritable_output_folder_is_one_clear_error(where, shop_db, tmp_path, run_cli):
    import subprocess

    if where == "under a file":
        (tmp_path / "notes.txt").write_text("x")
        out, expected = tmp_path / "notes.txt" / "m", "notes.txt is a file, not a folder"
    else:
        locked = _immutable(tmp_path / "locked")
        if locked is None:
            pytest.skip("chattr +i is not available here")
        out, expected = locked / "m", "is not writable"
    try:
        for command in (
            ["fit", shop_db, QUERY, "--out", out, *FIT_ARGS],
            ["inspect", shop_db, "--write-schema", out.parent / "s.yaml"],
        ):
            code, stdout, stderr = run_cli(*command)
            assert code == 2 and expected in " ".join(stderr.split()) and "Traceback" not in stdout + stderr
    finally:
        if where != "under a file":
            subprocess.run(["chattr", "-i", str(tmp_path / "locked")])


# ---- 7. The Python API checks its arguments before reading anything ----


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": -1}, "epochs must be a whole number >= 1, got -1"),
        ({"batch_size": 0}, "batch_size must be a whole number >= 1, got 0"),
        ({"max_steps": 2.5}, "max_steps must be a whole number >= 1, got 2.5"),
        ({"channels": 2}, "channels must be a whole number >= 4, got 2"),
        ({"lr": -0.1}, "lr must be a positive number, got -0.1"),
        ({"pool": "avg"}, "unknown pool 'avg'; choose one of"),
        ({"strategy": "latest"}, "--strategy must be uniform or recent, got 'latest'"),
        ({"fanout": (8, 0)}, "--fanout must be positive integers separated by commas (e.g. 16,8), got (8, 0)"),
        ({"fanout": "8,x"}, "--fanout must be positive integers separated by commas (e.g. 16,8), got '8,x'"),
        ({"text_embedder": "bert"}, "--text-embedder must be minilm or hashing, got 'bert'"),
        ({"step": "1 fortnight"}, "--step must look like '7 days'"),
        ({"history_window": "1 month"}, "--history-window must look like '7 days'"),
        ({"val_at": "soon"}, "--val-at: cannot read 'soon' as a date or time"),
    ],
)
def test_api_arguments_are_checked_before_the_database_is_read(kwargs, message, tmp_path):
    with pytest.raises(RelpoolError) as raised:
        relpool.fit(str(tmp_path / "no-such.sqlite"), QUERY, tmp_path / "m", **kwargs)  # would be "not found"
    assert message in str(raised.value)
    assert _listing(tmp_path) == set()


def test_api_refuses_a_table_without_columns(tmp_path):
    frames = {**shop_frames(), "notes": pd.DataFrame()}
    with pytest.raises(RelpoolError, match="table 'notes' has no columns"):
        relpool.fit(frames, QUERY, tmp_path / "m", **TINY)
    assert _listing(tmp_path) == set()


def test_api_accepts_the_cli_spellings(shop_db, tmp_path):
    model = relpool.fit(shop_db, QUERY, tmp_path / "m", **{**TINY, "fanout": "8,4", "text_embedder": "hashing"})
    assert model.config["options"]["loop"]["fanout"] == [8, 4] and model.config["text_embedder"]["kind"] == "hashing"


def test_predict_warns_when_at_is_far_outside_the_data(trained, tmp_path, run_cli, shop_db):
    code, _, stderr = run_cli("predict", trained, shop_db, "--out", tmp_path / "p.csv", "--at", "2999-01-01")
    message = " ".join(stderr.split())
    assert code == 0 and "warning: --at 2999-01-01 00:00:00 is" in message and "days after the newest time" in message
    code, _, stderr = run_cli("predict", trained, shop_db, "--out", tmp_path / "q.csv", "--at", "2020-01-20")
    assert code == 0 and "warning" not in stderr


# ---- 8. Training on: --resume with more epochs; a table empty at training, missing later ----


def test_resume_with_more_epochs_continues_to_the_straight_runs_model(shop_db, tmp_path):
    import numpy as np

    from relpool.train.checkpoint import load_tensors

    options = {**TINY, "text_embedder": HashingEmbedder(8), "patience": 5}
    relpool.fit(shop_db, QUERY, tmp_path / "straight", **{**options, "epochs": 3})
    relpool.fit(shop_db, QUERY, tmp_path / "m", **{**options, "epochs": 1})
    resumed = relpool.fit(shop_db, QUERY, tmp_path / "m", resume=True, **{**options, "epochs": 3})
    assert resumed.metrics["epochs_run"] == 3
    a, b = load_tensors(tmp_path / "straight" / "model.safetensors"), load_tensors(tmp_path / "m" / "model.safetensors")
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    assert resumed.metrics["history"] == relpool.Model.load(tmp_path / "straight").metrics["history"]
    with pytest.raises(RelpoolError, match="holds a checkpoint of a different run"):  # other options: refused
        relpool.fit(shop_db, QUERY, tmp_path / "m", resume=True, **{**options, "epochs": 4, "channels": 8})


def test_a_table_empty_at_training_may_be_missing_later(tmp_path, run_cli):
    frames, schema = _with_empty_complaints(tmp_path)
    model = relpool.fit(frames, QUERY, tmp_path / "m", schema=schema, **TINY)
    from conftest import write_sqlite

    db = write_sqlite(shop_frames(), tmp_path / "refreshed.sqlite")  # no complaints table any more
    code, _, stderr = run_cli("predict", tmp_path / "m", db, "--out", tmp_path / "p.parquet")
    assert code == 0, stderr
    assert "no table 'complaints'; it was empty at training" in " ".join(stderr.split())
    written = pd.read_parquet(tmp_path / "p.parquet").drop(columns=["model_id", "created_at"])
    pd.testing.assert_frame_equal(written, model.predict(frames))
    assert model.evaluate(db) == model.evaluate(frames)


def test_fit_names_the_baselines_final_folders(shop_db, tmp_path, run_cli):
    code, _, stderr = run_cli(
        "fit", shop_db, QUERY, "--out", tmp_path / "m", *[a for a in FIT_ARGS if a != "--no-baselines"]
    )
    assert code == 0, stderr
    text = " ".join(stderr.split())
    assert ".partial" not in text and f"-> {tmp_path / 'm' / 'baselines' / 'autofeat'}" in text
    assert (tmp_path / "m" / "baselines" / "autofeat" / "metrics.json").is_file()


@pytest.mark.parametrize(
    ("cache", "advice"),
    [(False, "use --cache DIR to keep them in memory-mapped files"), (True, "use a machine with more memory")],
)
def test_running_out_of_memory_while_preparing_names_the_stage_and_the_cache(
    shop_db, tmp_path, run_cli, monkeypatch, cache, advice
):
    import duckdb

    def exhausted(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 4.0 GiB")

    monkeypatch.setattr("relpool.train.fit.prepare_training", exhausted)
    flags = ["--cache", str(tmp_path / "cache")] if cache else []
    code, stdout, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "m", *FIT_ARGS, *flags)
    assert code == 2 and "Traceback" not in stdout + stderr
    assert f"ran out of memory preparing the database's graph and encoded columns; {advice}" in " ".join(stderr.split())
    assert not (tmp_path / "m").exists()

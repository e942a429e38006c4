"""The relational GNN end to end on small databases: files, reloads, determinism, resume, leakage."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import shop_frames, write_sqlite

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.nn.gnn import RelationalLayer
from relpool.train.checkpoint import load_tensors, save_tensors

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=16, fanout=(8, 4), epochs=2, max_steps=3, batch_size=64, step="1 days")


@pytest.fixture(scope="module")
def trained(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    return relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), **TINY), out


def test_model_directory_holds_weights_config_and_metrics(trained):
    model, out = trained
    assert {p.name for p in out.iterdir()} >= {"model.safetensors", "config.json", "metrics.json", "checkpoint"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= {"task_type", "metric", "val", "test", "n_train", "seconds"}
    assert metrics["task_type"] == "binary" and metrics["metric"] == "auroc"
    assert set(metrics["test"]) == {"auroc", "average_precision", "f1", "threshold"}  # F1's, chosen on validation
    assert metrics["test"]["threshold"] == metrics["val"]["threshold"]
    config = json.loads((out / "config.json").read_text())
    assert config["query"] == QUERY and config["schema"]["tables"]["daily"]["primary_key"] == ["store", "day"]
    assert "col_stats" in config["encoders"]["transactions"]
    assert b"pickle" not in (out / "model.safetensors").read_bytes()[:2048]


def test_reloaded_model_reproduces_the_training_metrics(trained, shop_db):
    model, out = trained
    again = relpool.Model.load(out).evaluate(shop_db)
    for split in ("val", "test"):
        assert again[split] == pytest.approx(model.metrics[split])


def test_predict_gives_one_row_per_existing_entity(trained, shop_db):
    model, _ = trained
    at = "2020-01-10"
    predictions = model.predict(shop_db, at=at)
    signed_up = (pd.to_datetime(shop_frames()["customers"]["signup"]) <= pd.Timestamp(at)).sum()
    assert len(predictions) == signed_up == predictions["customer_id"].nunique()
    assert ((predictions["probability"] >= 0) & (predictions["probability"] <= 1)).all()


def test_same_seed_same_model(trained, shop_db, tmp_path):
    first, out = trained
    again = relpool.fit(shop_db, QUERY, tmp_path / "again", text_embedder=HashingEmbedder(8), **TINY)
    wa, wb = load_tensors(out / "model.safetensors"), load_tensors(tmp_path / "again" / "model.safetensors")
    assert all(np.array_equal(wa[k].numpy(), wb[k].numpy()) for k in wa)
    assert first.metrics["test"] == again.metrics["test"]


@pytest.mark.parametrize("pool", ["mean", "sum", "gated", "pma"])
def test_every_pool_trains_by_name(pool, shop_db, tmp_path):
    model = relpool.fit(
        shop_db, QUERY, tmp_path / pool, pool=pool, text_embedder=HashingEmbedder(8), **{**TINY, "epochs": 1}
    )
    assert model.config["model"]["pool"] == pool and np.isfinite(model.metrics["val"]["auroc"])


def test_regression_multiclass_and_link_prediction_heads(shop_db, tmp_path):
    queries = {
        "regression": "PREDICT SUM(transactions.amount, 0, 3, days) FOR EACH customers.customer_id",
        "multiclass": "PREDICT products.category FOR EACH products.product_id",
        "link_prediction": "PREDICT LIST_DISTINCT(transactions.product_id, 0, 5, days) RANK TOP 5 "
        "FOR EACH customers.customer_id",
    }
    for kind, query in queries.items():
        model = relpool.fit(shop_db, query, tmp_path / kind, text_embedder=HashingEmbedder(8), **{**TINY, "epochs": 1})
        assert model.metrics["task_type"] == kind
        assert all(np.isfinite(v) for v in model.metrics["test"].values())
        predictions = model.predict(shop_db)
        column = {"regression": "prediction", "multiclass": "prediction", "link_prediction": "top_k"}[kind]
        assert column in predictions and len(predictions) > 0
    assert all(len(items) == 5 for items in predictions["top_k"])


RESUMABLE = dict(TINY, epochs=3, patience=3)


def test_a_killed_run_resumes_to_the_same_model(shop_db, tmp_path):
    relpool.fit(shop_db, QUERY, tmp_path / "whole", text_embedder=HashingEmbedder(), **RESUMABLE)  # as the CLI
    command = [
        sys.executable,
        "-m",
        "relpool.cli",
        "fit",
        "--budget",
        "0",  # one network, as the API fit it is compared with (tests set the default budget to 0)
        shop_db,
        QUERY,
        "--out",
        str(tmp_path / "killed"),
        "--channels",
        "16",
        "--fanout",
        "8,4",
        "--max-steps",
        "3",
        "--batch-size",
        "64",
        "--step",
        "1 days",
        "--epochs",
        "3",
        "--patience",
        "3",
        "--text-embedder",
        "hashing",
    ]
    killed = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = tmp_path / ".killed.partial" / "checkpoint" / "state.json"  # built beside --out until complete
    deadline = time.time() + 240
    while time.time() < deadline and not (state.exists() and json.loads(state.read_text())["epoch"] >= 1):
        time.sleep(0.02)
    killed.kill()
    killed.wait()
    assert json.loads(state.read_text())["epoch"] < 3  # really interrupted
    assert not (tmp_path / "killed").exists()  # no half-written model directory
    relpool.fit(shop_db, QUERY, tmp_path / "killed", text_embedder=HashingEmbedder(), resume=True, **RESUMABLE)
    a = load_tensors(tmp_path / "whole" / "model.safetensors")
    b = load_tensors(tmp_path / "killed" / "model.safetensors")
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    metrics = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("whole", "killed")]
    assert metrics[0]["test"] == metrics[1]["test"] and metrics[0]["history"] == metrics[1]["history"]


def test_a_checkpoint_that_does_not_fit_the_network_is_refused(shop_db, tmp_path):
    relpool.fit(shop_db, QUERY, tmp_path / "m", text_embedder=HashingEmbedder(), **RESUMABLE)
    checkpoint = tmp_path / "m" / "checkpoint"
    weights = checkpoint / f"model-{json.loads((checkpoint / 'state.json').read_text())['epoch']}.safetensors"
    tensors = load_tensors(weights)
    save_tensors(weights, dict(list(tensors.items())[1:]))  # as if written by a network without that layer
    with pytest.raises(RelpoolError, match="does not fit this version's network .*--force instead of --resume"):
        relpool.fit(shop_db, QUERY, tmp_path / "m", text_embedder=HashingEmbedder(), resume=True, **RESUMABLE)


def _copy_model(trained, tmp_path) -> Path:
    import shutil

    _, out = trained
    target = tmp_path / "copy"
    shutil.copytree(out, target)
    return target


def test_a_model_dir_from_before_the_listwise_loss_still_evaluates(trained, shop_db, tmp_path):
    copy = _copy_model(trained, tmp_path)
    config = json.loads((copy / "config.json").read_text())
    config["options"]["loop"]["negatives"] = 20  # an option older relpool versions wrote
    del config["config_sha256"]  # which they did not checksum
    (copy / "config.json").write_text(json.dumps(config))
    assert relpool.Model.load(copy).evaluate(shop_db) == relpool.Model.load(trained[1]).evaluate(shop_db)


def test_truncated_weights_are_refused(trained, shop_db, tmp_path, run_cli):
    folder = _copy_model(trained, tmp_path)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    code, _, stderr = run_cli("evaluate", folder, shop_db)
    assert code == 2 and "does not match the checksum in config.json: it was truncated or modified" in stderr


def test_tampered_config_is_refused(trained, shop_db, tmp_path, run_cli):
    folder = _copy_model(trained, tmp_path)
    (folder / "config.json").write_text("{not json")
    code, _, stderr = run_cli("predict", folder, shop_db, "--out", tmp_path / "p.parquet")
    assert code == 2 and "config.json is not valid JSON" in stderr
    assert not (tmp_path / "p.parquet").exists()


def test_model_for_another_database_is_refused(trained, tmp_path, run_cli):
    other = write_sqlite({k: v for k, v in shop_frames().items() if k != "daily"}, tmp_path / "other.sqlite")
    code, _, stderr = run_cli("predict", _copy_model(trained, tmp_path), other, "--out", tmp_path / "p.csv")
    assert code == 2 and "the database has no table 'daily', which the model was trained with" in " ".join(
        stderr.split()
    )


def test_predict_cli_writes_parquet_and_leaves_the_database_alone(trained, shop_db, tmp_path, run_cli):
    _, out = trained
    before = Path(shop_db).read_bytes()
    code, _, stderr = run_cli("predict", out, shop_db, "--out", tmp_path / "p.parquet", "--at", "2020-02-01")
    assert code == 0, stderr
    frame = pd.read_parquet(tmp_path / "p.parquet")
    assert list(frame.columns) == ["customer_id", "cutoff", "probability", "model_id", "created_at"]
    assert Path(shop_db).read_bytes() == before


# ---- Leakage through the whole model: a future-only signal stays at chance ----


def _signal_frames(past_signal: bool, users: int = 300, days: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2021-01-01")
    prone = rng.random(users) < 0.5 if past_signal else np.zeros(users, dtype=bool)
    user, day = np.meshgrid(np.arange(users), np.arange(days), indexing="ij")
    active = rng.random(user.shape) < 0.6
    red = rng.random(user.shape) < np.where(prone[:, None], 0.4, 0.02 if past_signal else 0.06)
    events = pd.DataFrame(
        {"user_id": user[active], "at": start + pd.to_timedelta(day[active], unit="D"), "red": red[active].astype(int)}
    ).reset_index(names="event_id")
    return {"users": pd.DataFrame({"user_id": np.arange(users)}), "events": events}


@pytest.mark.parametrize("past_signal, low, high", [(False, 0.38, 0.62), (True, 0.8, 1.0)])
def test_the_model_sees_the_past_signal_but_not_the_future_one(past_signal, low, high, tmp_path):
    query = "PREDICT SUM(events.red, 0, 7, days) > 0 FOR EACH users.user_id"
    model = relpool.fit(
        _signal_frames(past_signal),
        query,
        tmp_path / "m",
        channels=16,
        fanout=(16,),
        layers=1,
        epochs=6,
        max_steps=10,
        batch_size=256,
        step="3 days",
        lr=1e-2,
        text_embedder=HashingEmbedder(8),
    )
    auroc = model.metrics["test"]["auroc"]
    assert low <= auroc <= high, auroc


def test_source_keys_attend_by_the_source_state_the_message_forgot():
    """keys="source": the attention is computed on the source's state, so a state the message map zeroes
    (a ReLU of a negative) still steers it; with the message as keys the same rows weigh alike."""
    torch.manual_seed(0)
    edge = ("rows", "of", "owners")
    layers = {k: RelationalLayer(["rows", "owners"], [edge], 4, "adaptive", keys=k) for k in ("message", "source")}
    layers["source"].load_state_dict(layers["message"].state_dict())
    with torch.no_grad():
        for layer in layers.values():  # every message relu(-sum x) = 0 for x > 0
            layer.message["rows__of__owners"].weight.fill_(-1.0)
            layer.message["rows__of__owners"].bias.zero_()
    x = {"rows": torch.rand(3, 4) + 0.1, "owners": torch.randn(1, 4)}
    index = {edge: torch.tensor([[0, 1, 2], [0, 0, 0]])}
    message_keys = layers["message"].attention(x, index)[edge]
    source_keys = layers["source"].attention(x, index)[edge]
    torch.testing.assert_close(message_keys, torch.full((3,), 1 / 3))
    assert source_keys.max() - source_keys.min() > 1e-3
    with pytest.raises(ValueError, match="keys"):
        RelationalLayer(["rows"], [], 4, "adaptive", keys="values")

"""Baselines: auto-features equal a pandas computation, obey the time rule, and the CLI writes its files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import shop_frames, write_folder

from relpool.autofeat.aggregates import aggregate_features
from relpool.autofeat.plan import plan_groups
from relpool.autofeat.table import registered
from relpool.baselines import run_baseline
from relpool.db import inspect_database
from relpool.query.task import build_task

DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def shop_features():
    """Auto-features of customers at two cutoffs, one of them exactly on transaction times (midnight)."""
    frames = shop_frames()
    inspection = inspect_database(frames)
    cutoffs = [pd.Timestamp("2020-01-15"), pd.Timestamp("2020-01-22 12:00")]
    examples = pd.DataFrame(
        [(c, k) for k in (1, 2, 3, 5, 8, 13, 21, 34) for c in cutoffs], columns=["cutoff", "entity"]
    )
    examples["entity"] = examples["entity"].astype("int64")
    groups = [g for g in plan_groups(inspection, "customers", cutoffs[0]) if g.label == "transactions.customer_id"]
    with registered(inspection.database, examples):
        table = aggregate_features(inspection.database, groups)
    return frames, examples, table.frame


def _expected(frames, examples) -> pd.DataFrame:
    tx = frames["transactions"]
    rows = []
    for entity, cutoff in zip(examples["entity"], examples["cutoff"]):
        seen = tx[(tx["customer_id"] == entity) & (tx["day"] <= cutoff)].sort_values(["day", "amount"])
        week = seen[seen["day"] > cutoff - 7 * DAY]
        rows.append(
            {
                "COUNT(transactions | transactions.customer_id)": len(seen),
                "SUM(transactions.amount | transactions.customer_id)": seen["amount"].sum(),
                "MEAN(transactions.amount | transactions.customer_id)": seen["amount"].mean(),
                "MIN(transactions.amount | transactions.customer_id)": seen["amount"].min(),
                "MAX(transactions.amount | transactions.customer_id)": seen["amount"].max(),
                "STD(transactions.amount | transactions.customer_id)": seen["amount"].std(),
                "LAST(transactions.amount | transactions.customer_id)": seen["amount"].iloc[-1]
                if len(seen)
                else np.nan,
                "NUM_UNIQUE(transactions.product_id | transactions.customer_id)": seen["product_id"].nunique(),
                "DAYS_SINCE_LAST(transactions | transactions.customer_id)": (cutoff - seen["day"].max()) / DAY
                if len(seen)
                else np.nan,
                "COUNT(transactions | transactions.customer_id, last 7d)": len(week),
                "MEAN(transactions.quantity | transactions.customer_id, last 7d)": week["quantity"].mean(),
                "COUNT(transactions.store = 'north' | transactions.customer_id)": int((seen["store"] == "north").sum()),
            }
        )
    return pd.DataFrame(rows)


def test_auto_features_match_pandas_and_include_rows_at_the_cutoff(shop_features):
    frames, examples, features = shop_features
    expected = _expected(frames, examples)
    for column in expected:
        np.testing.assert_allclose(
            features[column].to_numpy(float), expected[column].to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=column
        )
    tx = frames["transactions"]
    on_cutoff = examples.merge(tx, left_on=["entity", "cutoff"], right_on=["customer_id", "day"])
    assert len(on_cutoff) > 0  # rows exactly at a cutoff are part of the comparison
    # The last category is the latest row's, equal times broken by the larger value.
    tx = tx.sort_values(["day", "store"])
    last = [
        tx[(tx["customer_id"] == e) & (tx["day"] <= c)]["store"].iloc[-1:].tolist() or [None]
        for e, c in zip(examples["entity"], examples["cutoff"])
    ]
    assert features["LAST(transactions.store | transactions.customer_id)"].tolist() == [v for (v,) in last]


def test_a_row_one_second_after_the_cutoff_is_invisible():
    c = pd.Timestamp("2021-03-01 12:00")
    users = pd.DataFrame({"user_id": [1]})
    events = pd.DataFrame(
        {
            "event_id": [1, 2, 3],
            "user_id": 1,
            "at": [c - DAY, c, c + pd.Timedelta(seconds=1)],
            "value": [1.0, 10.0, 100.0],
        }
    )
    inspection = inspect_database({"users": users, "events": events})
    with registered(inspection.database, pd.DataFrame({"entity": [1], "cutoff": [c]})):
        features = aggregate_features(inspection.database, plan_groups(inspection, "users", c)).frame
    assert features["COUNT(events | events.user_id)"].item() == 2
    assert features["SUM(events.value | events.user_id)"].item() == 11.0
    assert features["LAST(events.value | events.user_id)"].item() == 10.0
    assert features["DAYS_SINCE_LAST(events | events.user_id)"].item() == 0.0


# ---- Leakage, end to end: a signal only after the cutoff must stay invisible ----


def _signal_db(past_signal: bool, users: int = 800, days: int = 70, seed: int = 0):
    """Red events at random; with ``past_signal`` half the users are red-prone at every time."""
    rng = np.random.default_rng(seed)
    prone = rng.random(users) < 0.5 if past_signal else np.zeros(users, dtype=bool)
    day, user = np.nonzero(rng.random((days, users)) < 0.5)
    red = rng.random(len(user)) < np.where(prone[user], 0.4, 0.02 if past_signal else 0.05)
    events = pd.DataFrame(
        {
            "event_id": np.arange(len(user)),
            "user_id": user,
            "at": pd.Timestamp("2021-01-01")
            + pd.to_timedelta(day, "D")
            + pd.to_timedelta(rng.integers(0, 24, len(user)), "h"),
            "color": np.where(red, "red", "blue"),
        }
    )
    return inspect_database({"users": pd.DataFrame({"user_id": np.arange(users)}), "events": events})


def _autofeat_auroc(past_signal: bool) -> float:
    inspection = _signal_db(past_signal)
    task = build_task(
        inspection,
        "PREDICT COUNT(events.* WHERE events.color = 'red', 0, 7, days) > 0 FOR EACH users.user_id",
        step="7 days",
    )
    return run_baseline(inspection, task, "autofeat").metrics["test"]["auroc"]


def test_future_only_signal_gives_chance_auroc():
    assert abs(_autofeat_auroc(past_signal=False) - 0.5) < 0.07


def test_past_signal_is_found():
    assert _autofeat_auroc(past_signal=True) > 0.8


# ---- The command ----

QUERIES = {
    "binary": "PREDICT COUNT(transactions.*, 0, 7, days) > 0 FOR EACH customers.customer_id",
    "regression": "PREDICT SUM(transactions.amount, 0, 7, days) FOR EACH products.product_id",
    "link_prediction": "PREDICT LIST_DISTINCT(transactions.product_id, 0, 7, days) RANK TOP 5 FOR EACH customers.customer_id",
}
METRIC = {"binary": "auroc", "regression": "mae", "link_prediction": "map@5"}


@pytest.fixture(scope="module")
def shop_folder(tmp_path_factory):
    return write_folder(shop_frames(), tmp_path_factory.mktemp("shop") / "db")


@pytest.mark.parametrize("task_type", list(QUERIES))
@pytest.mark.parametrize("kind", ["entity", "autofeat"])
def test_cli_writes_metrics_and_importances(task_type, kind, shop_folder, tmp_path, run_cli):
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(
        "baseline", shop_folder, QUERIES[task_type], "--kind", kind, "--out", out, "--step", "3 days"
    )
    assert code == 0, stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"task_type", "metric", "val", "test", "n_train", "seconds"} <= set(metrics)
    assert metrics["task_type"] == task_type and metrics["metric"] == METRIC[task_type]
    assert set(metrics["val"]) == set(metrics["test"]) and METRIC[task_type] in metrics["test"]
    assert metrics["n_train"] > 0 and METRIC[task_type] in stdout
    importances = json.loads((out / "features.json").read_text())["features"]
    assert (task_type == "link_prediction") == (importances == [])
    if importances and kind == "entity":
        assert {f["name"] for f in importances} <= {
            "customers.name",
            "DAYS_SINCE(customers.signup)",
            "products.category",
            "products.price",
        }


def test_same_seed_same_metrics(shop_folder, tmp_path, run_cli):
    runs = []
    for name in ("a", "b"):
        run_cli("baseline", shop_folder, QUERIES["regression"], "--out", tmp_path / name, "--step", "3 days")
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        runs.append((metrics["val"], metrics["test"]))
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kind", "gnn"], "--kind must be one of entity, autofeat"),
        (["--out", "{db}/inside"], "refusing to write"),
        (["--out", "{tmp}/a-file/out"], "is a file, not a folder"),
    ],
)
def test_bad_input_is_one_clear_message(args, message, shop_folder, tmp_path, run_cli):
    (tmp_path / "a-file").write_text("not a folder")
    args = [a.format(db=shop_folder, tmp=tmp_path) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    code, _, stderr = run_cli("baseline", shop_folder, QUERIES["binary"], *args)
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert not (shop_folder / "inside").exists()


def test_out_gets_its_parent_folders_only_once_the_baseline_has_trained(shop_folder, tmp_path, run_cli):
    code, _, stderr = run_cli(
        "baseline", shop_folder, QUERIES["binary"], "--out", tmp_path / "runs" / "base", "--step", "3 days"
    )
    assert code == 0, stderr
    assert (tmp_path / "runs" / "base" / "metrics.json").is_file()
    code, _, _ = run_cli("baseline", shop_folder, QUERIES["binary"], "--kind", "gnn", "--out", tmp_path / "new" / "b")
    assert code == 2 and not (tmp_path / "new").exists()


def test_entity_baseline_without_columns_says_so(run_cli, tmp_path):
    frames = {
        "users": pd.DataFrame({"user_id": range(30)}),
        "events": pd.DataFrame(
            {
                "event_id": range(300),
                "user_id": np.arange(300) % 30,
                "at": pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(300), "h"),
            }
        ),
    }
    folder = write_folder(frames, tmp_path / "db")
    code, _, stderr = run_cli(
        "baseline",
        folder,
        "PREDICT COUNT(events.*, 0, 1, days) > 0 FOR EACH users.user_id",
        "--kind",
        "entity",
        "--out",
        tmp_path / "out",
    )
    assert code == 2 and "no columns to learn from" in stderr

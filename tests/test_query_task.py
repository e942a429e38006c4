"""Training tables: exact window boundaries, entity existence, splits, aggregations, and leakage."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import shop_frames
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from relpool.db import inspect_database
from relpool.errors import RelpoolError
from relpool.query.inputs import visible_rows
from relpool.query.task import build_task

C = pd.Timestamp("2020-03-01 12:00:00")
SECOND, DAY = pd.Timedelta(seconds=1), pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def boundary_db():
    """One user with events planted exactly on and around the window edges of cutoff C."""
    users = pd.DataFrame({"user_id": [1, 2, 3], "created": [C - 90 * DAY, C + SECOND, C]})
    times = [C - 30 * DAY, C - 30 * DAY + SECOND, C, C + SECOND, C + 7 * DAY, C + 7 * DAY + SECOND, C + 40 * DAY]
    events = pd.DataFrame({"event_id": range(len(times)), "user_id": 1, "at": times, "value": range(len(times))})
    return inspect_database({"users": users, "events": events})


def _test_labels(inspection, query):
    task = build_task(inspection, query, test_at=str(C))
    assert task.cutoffs["test"] == [C]
    return dict(zip(task.tables["test"]["entity"], task.tables["test"]["label"]))


def test_label_window_is_open_at_the_cutoff_and_closed_at_the_end(boundary_db):
    labels = _test_labels(boundary_db, "PREDICT COUNT(events.*, 0, 7, days) FOR EACH users.user_id")
    assert labels[1] == 2  # C + 1s and C + 7d; not C itself, not C + 7d + 1s


def test_sum_sees_exactly_the_two_rows_inside_the_window(boundary_db):
    labels = _test_labels(boundary_db, "PREDICT SUM(events.value, 0, 7, days) FOR EACH users.user_id")
    assert labels[1] == 3 + 4  # values of the rows at C + 1s and C + 7d


def test_entity_created_after_the_cutoff_does_not_exist_then(boundary_db):
    labels = _test_labels(boundary_db, "PREDICT COUNT(events.*, 0, 7, days) FOR EACH users.user_id")
    assert set(labels) == {1, 3}  # user 2 appears one second after C; user 3 exactly at C exists
    assert labels[3] == 0


def test_where_sees_the_past_window_including_the_cutoff_only(boundary_db):
    query = "PREDICT COUNT(events.*, 0, 7, days) FOR EACH users.user_id WHERE COUNT(events.*, -30, 0, days) = 2"
    labels = _test_labels(boundary_db, query)
    assert set(labels) == {1}  # (C - 30d, C] holds C - 30d + 1s and C: an off-by-one gives 1 or 3


def test_visible_rows_stop_at_the_cutoff(boundary_db):
    task = build_task(boundary_db, "PREDICT COUNT(events.*, 0, 7, days) FOR EACH users.user_id", test_at=str(C))
    rows = visible_rows(boundary_db, "users", "events", task.tables["test"])
    assert rows["__t"].max() == C and (rows["__t"] <= C).all()
    assert len(rows) == 3  # C - 30d, C - 30d + 1s, C


def test_splits_never_overlap_and_stay_inside_the_data():
    inspection = inspect_database(shop_frames())
    task = build_task(
        inspection, "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id", step="1 days"
    )
    train, val, test = (task.cutoffs[s] for s in ("train", "val", "test"))
    assert max(train) + 3 * DAY <= val[0]  # no training label window reaches into validation's
    assert val[0] + 3 * DAY <= test[0] + 3 * DAY and val[0] < test[0]
    last = inspection.database.scalar("SELECT max(day) FROM transactions")
    assert test[0] + 3 * DAY <= pd.Timestamp(last)
    assert np.diff(train).min() == DAY  # --step
    for split, frame in task.tables.items():
        assert set(frame["cutoff"]) <= set(task.cutoffs[split])
        created = (
            inspection.database.execute("SELECT customer_id, CAST(signup AS TIMESTAMP) FROM customers")
            .df()
            .set_index("customer_id")
            .iloc[:, 0]
        )
        assert (created.loc[frame["entity"]].to_numpy() <= frame["cutoff"].to_numpy()).all()


def _existing_customers(frames, rows: pd.DataFrame, cutoff) -> pd.DataFrame:
    """Rows of customers who had signed up by the cutoff: the others are not entities yet."""
    signup = pd.to_datetime(frames["customers"].set_index("customer_id")["signup"])
    return rows[(signup.loc[rows["customer_id"]] <= cutoff).to_numpy()]


def test_aggregations_match_pandas_on_one_cutoff():
    frames = shop_frames()
    inspection = inspect_database(frames)
    cutoff = pd.Timestamp("2020-01-20")
    tx = _existing_customers(frames, frames["transactions"], cutoff)
    window = tx[(tx["day"] > cutoff) & (tx["day"] <= cutoff + 5 * DAY)]
    expected = {
        "SUM(transactions.amount": window.groupby("customer_id")["amount"].sum(),
        "AVG(transactions.amount": window.groupby("customer_id")["amount"].mean(),
        "MAX(transactions.quantity": window.groupby("customer_id")["quantity"].max(),
        "COUNT_DISTINCT(transactions.product_id": window.groupby("customer_id")["product_id"].nunique(),
        "LAST(transactions.amount": window.sort_values("day").groupby("customer_id")["amount"].last(),
        "COUNT(transactions.* WHERE transactions.quantity >= 3": window[window["quantity"] >= 3]
        .groupby("customer_id")
        .size(),
    }
    for head, truth in expected.items():
        task = build_task(
            inspection, f"PREDICT {head}, 0, 5, days) FOR EACH customers.customer_id", test_at=str(cutoff)
        )
        got = task.tables["test"].set_index("entity")["label"]
        if head.startswith(("SUM", "COUNT")):
            truth = truth.reindex(got.index, fill_value=0)  # empty windows count as 0
        else:
            truth, got = truth, got.loc[truth.index]
        if head.startswith("LAST"):  # ties in time make LAST ambiguous; compare where the last day is unique
            unique_last = window.groupby("customer_id")["day"].apply(lambda d: (d == d.max()).sum() == 1)
            truth, got = truth[unique_last[truth.index]], got[unique_last[truth.index]]
        np.testing.assert_allclose(got.to_numpy(dtype=float), truth.to_numpy(dtype=float), err_msg=head)


def test_link_prediction_labels_are_the_distinct_items_of_the_window():
    frames = shop_frames()
    inspection = inspect_database(frames)
    cutoff = pd.Timestamp("2020-01-20")
    tx = _existing_customers(frames, frames["transactions"], cutoff)
    task = build_task(
        inspection,
        "PREDICT LIST_DISTINCT(transactions.product_id, 0, 5, days) RANK TOP 5 FOR EACH customers.customer_id",
        test_at=str(cutoff),
    )
    assert task.task_type == "link_prediction" and task.bound.item_table == "products"
    window = tx[(tx["day"] > cutoff) & (tx["day"] <= cutoff + 5 * DAY)]
    truth = window.groupby("customer_id")["product_id"].apply(set)
    got = task.tables["test"].set_index("entity")["label"].map(set)
    assert got.to_dict() == truth.to_dict()  # customers without a purchase are dropped, not given []


def test_two_hop_paths_down_and_through_a_link_table():
    frames = shop_frames()
    orders = frames["transactions"][["transaction_id", "customer_id", "day"]].rename(
        columns={"transaction_id": "order_id"}
    )
    items = pd.DataFrame(
        {
            "item_id": range(2 * len(orders)),
            "order_id": np.repeat(orders["order_id"].to_numpy(), 2),
            "units": np.arange(2 * len(orders)) % 3,
        }
    )
    inspection = inspect_database({**frames, "orders": orders, "order_items": items})
    cutoff = pd.Timestamp("2020-01-20")
    down = build_task(
        inspection, "PREDICT SUM(order_items.units, 0, 5, days) FOR EACH customers.customer_id", test_at=str(cutoff)
    )
    assert (
        "order_items.order_id -> orders.order_id, orders.customer_id -> customers.customer_id"
        in down.bound.aggregations[0].path.description
    )
    merged = _existing_customers(frames, items.merge(orders, on="order_id"), cutoff)
    window = merged[(merged["day"] > cutoff) & (merged["day"] <= cutoff + 5 * DAY)]
    truth = window.groupby("customer_id")["units"].sum()
    got = down.tables["test"].set_index("entity")["label"]
    assert got[got > 0].to_dict() == truth[truth > 0].to_dict()

    link = build_task(
        inspection,
        "PREDICT COUNT_DISTINCT(products.category, 0, 5, days) FOR EACH customers.customer_id",
        test_at=str(cutoff),
    )
    assert (
        "transactions.customer_id -> customers.customer_id, transactions.product_id -> products.product_id"
        == link.bound.aggregations[0].path.description
    )
    tx = _existing_customers(frames, frames["transactions"].merge(frames["products"], on="product_id"), cutoff)
    window = tx[(tx["day"] > cutoff) & (tx["day"] <= cutoff + 5 * DAY)]
    truth = window.groupby("customer_id")["category"].nunique()
    got = link.tables["test"].set_index("entity")["label"]
    assert got[got > 0].to_dict() == truth.to_dict()


def test_static_target_is_hidden_and_split_by_entity_time():
    frames = shop_frames()
    frames["customers"]["segment"] = np.resize(["retail", "trade", "staff"], len(frames["customers"]))
    inspection = inspect_database(frames)
    task = build_task(inspection, "PREDICT customers.segment FOR EACH customers.customer_id")
    assert task.task_type == "multiclass"
    assert task.bound.hidden_columns == {("customers", "segment")}
    with pytest.raises(RelpoolError, match="the target has 48 classes among 48 training examples"):
        build_task(inspection, "PREDICT customers.name FOR EACH customers.customer_id")  # unique: an id
    val_at, test_at = task.cutoffs["val"][0], task.cutoffs["test"][0]
    assert (task.tables["train"]["cutoff"] <= val_at).all()
    assert ((task.tables["val"]["cutoff"] > val_at) & (task.tables["val"]["cutoff"] <= test_at)).all()
    assert (task.tables["test"]["cutoff"] > test_at).all()


def test_month_windows():
    inspection = inspect_database(shop_frames())
    task = build_task(inspection, "PREDICT COUNT(transactions.*, 0, 1, weeks) FOR EACH products.product_id")
    assert task.task_type == "regression" and task.cutoffs["test"][0] + 7 * DAY <= pd.Timestamp("2020-01-30")


# ---- Leakage: a model fed only the visible rows must be at chance on a future-only signal ----


def _signal_db(past_signal: bool, users: int = 800, days: int = 70, seed: int = 0):
    """Red events at random; with ``past_signal`` half the users are red-prone at every time."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2021-01-01")
    prone = rng.random(users) < 0.5 if past_signal else np.zeros(users, dtype=bool)
    rows = []
    for day in range(days):
        active = rng.random(users) < 0.5
        red = rng.random(users) < np.where(prone, 0.4, 0.02 if past_signal else 0.05)
        for user in np.flatnonzero(active):
            rows.append(
                (user, start + day * DAY + pd.Timedelta(hours=int(rng.integers(0, 24))), "red" if red[user] else "blue")
            )
    events = pd.DataFrame(rows, columns=["user_id", "at", "color"]).reset_index(names="event_id")
    return inspect_database({"users": pd.DataFrame({"user_id": range(users)}), "events": events})


def _auroc_from_visible_rows(inspection, shift=pd.Timedelta(0)):
    """Fit on train, score test, with features counted over the visible rows (optionally a wrong boundary)."""
    query = "PREDICT COUNT(events.* WHERE events.color = 'red', 0, 7, days) > 0 FOR EACH users.user_id"
    task = build_task(inspection, query, step="7 days")
    features = {}
    for split in ("train", "test"):
        examples = task.tables[split].assign(cutoff=lambda f: f["cutoff"] + shift)
        rows = visible_rows(inspection, "users", "events", examples)
        red = rows[rows["color"] == "red"]
        last_week = red[red["__t"] > examples["cutoff"].iloc[red["example"]].to_numpy() - 7 * DAY]
        features[split] = np.column_stack(
            [
                counts.groupby("example").size().reindex(range(len(examples)), fill_value=0).to_numpy()
                for counts in (red, last_week)
            ]
        )
    model = LogisticRegression().fit(features["train"], task.tables["train"]["label"].astype(int))
    return roc_auc_score(task.tables["test"]["label"].astype(int), model.predict_proba(features["test"])[:, 1])


def test_future_only_signal_is_invisible():
    assert abs(_auroc_from_visible_rows(_signal_db(past_signal=False)) - 0.5) < 0.06


def test_past_signal_is_visible():
    assert _auroc_from_visible_rows(_signal_db(past_signal=True)) > 0.8


def test_the_leakage_check_catches_a_boundary_that_is_off():
    # The same future-only database, but inputs cut a week late: the label becomes computable.
    assert _auroc_from_visible_rows(_signal_db(past_signal=False), shift=7 * DAY) > 0.9


@pytest.fixture(scope="module")
def two_way_db():
    """flights reach airports twice (origin and dest): departures and arrivals in (C, C + 7d] differ per airport."""
    airports = pd.DataFrame({"faa": ["AAA", "BBB", "CCC"]})
    planes = pd.DataFrame({"tailnum": ["N1", "N2"]})
    legs = [
        ("CCC", "AAA", -60),
        ("AAA", "BBB", 1),
        ("AAA", "BBB", 2),
        ("AAA", "CCC", 3),
        ("BBB", "AAA", 4),
        ("CCC", "BBB", 20),
    ]
    flights = pd.DataFrame(
        {
            "flight_id": range(len(legs)),
            "origin": [o for o, _, _ in legs],
            "dest": [d for _, d, _ in legs],
            "at": [C + days * DAY for _, _, days in legs],
            "tailnum": ["N1", "N2"] * (len(legs) // 2),
        }
    )
    keys = [{"columns": c, "references_table": "airports"} for c in ("origin", "dest")]
    keys.append({"columns": "tailnum", "references_table": "planes"})
    schema = {
        "airports": {"primary_key": "faa"},
        "planes": {"primary_key": "tailnum"},
        "flights": {"primary_key": "flight_id", "foreign_keys": keys},
    }
    return inspect_database({"airports": airports, "planes": planes, "flights": flights}, {"tables": schema})


def test_via_chooses_which_foreign_key_reaches_the_entity(two_way_db):
    departures = _test_labels(
        two_way_db, "PREDICT COUNT(flights.* VIA flights.origin, 0, 7, days) FOR EACH airports.faa"
    )
    arrivals = _test_labels(two_way_db, "PREDICT COUNT(flights.* VIA flights.dest, 0, 7, days) FOR EACH airports.faa")
    assert departures == {"AAA": 3, "BBB": 1, "CCC": 0}
    assert arrivals == {"AAA": 1, "BBB": 2, "CCC": 1}


def test_without_via_the_first_path_is_used_and_the_note_names_via(two_way_db):
    task = build_task(two_way_db, "PREDICT COUNT(flights.*, 0, 7, days) FOR EACH airports.faa", test_at=str(C))
    assert dict(zip(task.tables["test"]["entity"], task.tables["test"]["label"])) == {"AAA": 3, "BBB": 1, "CCC": 0}
    [note] = task.bound.notes
    assert "flights reaches airports in 2 ways" in note and "VIA flights.dest" in note


def test_via_through_a_link_table_and_the_hints_that_pick_each_path(two_way_db):
    query = "PREDICT COUNT_DISTINCT(airports.faa VIA flights.{}, 0, 7, days) FOR EACH planes.tailnum"
    destinations = _test_labels(two_way_db, query.format("dest"))
    origins = _test_labels(two_way_db, query.format("origin"))
    assert destinations == {"N1": 2, "N2": 2} and origins == {"N1": 2, "N2": 1}  # N2: AAA->BBB, AAA->CCC
    with pytest.raises(
        RelpoolError,
        match=re.escape(
            "(VIA flights.origin); flights.tailnum -> planes.tailnum, flights.dest -> airports.faa (VIA flights.dest)"
        ),
    ):
        build_task(two_way_db, query.format("at"), test_at=str(C))
    from relpool.query.bind import bind
    from relpool.query.parser import parse_query

    bound = bind(parse_query("PREDICT AVG(flights.flight_id, 0, 7, days) FOR EACH airports.faa"), two_way_db)
    assert "e.g. AVG(flights.flight_id VIA flights.dest" in bound.notes[0]  # (its training labels are all NULL)


@pytest.mark.parametrize(
    ("via", "message"),
    [
        (
            "flights.at",
            "flights.at is not a foreign key on a path from 'flights' to 'airports'; the paths are: "
            "flights.origin -> airports.faa (VIA flights.origin); flights.dest -> airports.faa (VIA flights.dest)",
        ),
        ("flights.gate", "unknown column 'gate' in table 'flights'"),
    ],
)
def test_via_naming_no_path_is_a_clear_error(two_way_db, via, message):
    query = f"PREDICT COUNT(flights.* VIA {via}, 0, 7, days) FOR EACH airports.faa"
    with pytest.raises(RelpoolError, match=re.escape(message)) as error:
        build_task(two_way_db, query, test_at=str(C))
    assert error.value.args[0].endswith(" " * query.index(via) + "^")

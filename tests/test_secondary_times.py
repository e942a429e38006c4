"""A second time column filled in after the row (orders.delivered_at) must not show models the future.

Every customer orders each Sunday, the day before a weekly (Monday) cutoff; the label, a visit in
(c, c + 7d], is a weekly coin flip, so nothing known at c predicts it. In the future database the
order placed before c is delivered at that visit, inside the label window, exactly for positives
(else by courier hours after ordering): a model reading delivered_at scored test AUROC 1.00
(autofeat, epoch seconds) and 1.00 / 0.90 (GNN, TIMESTAMP) before relpool.encode.later_times.
The past database carries the same information before the order (cart_opened_at), which must be learnt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relpool
from relpool.baselines import run_baseline
from relpool.db import inspect_database
from relpool.encode import HashingEmbedder, infer_column_types
from relpool.query.task import build_task

DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2021-01-04")  # a Monday: every weekly cutoff is a Monday midnight
WEEKS = 10
QUERY = "PREDICT COUNT(visits.*, 0, 7, days) > 0 FOR EACH customers.customer_id"
CUTS = dict(step="7 days", val_at=str(START + 7 * (WEEKS - 3) * DAY), test_at=str(START + 7 * (WEEKS - 2) * DAY))


def _frames(future: bool, as_epoch: bool, seed: int = 0, customers: int = 600) -> dict[str, pd.DataFrame]:
    """as_epoch: the second time as epoch seconds, NULL for non-visitors (autofeat reads numbers, not TIMESTAMPs)."""
    rng = np.random.default_rng(seed)
    customer, week = (a.ravel() for a in np.meshgrid(np.arange(customers), np.arange(WEEKS), indexing="ij"))
    cutoff = START + pd.to_timedelta(week * 7, "D")
    visits = rng.random(len(customer)) < 0.5
    ordered = cutoff - DAY + pd.to_timedelta(rng.integers(0, 4 * 60, len(customer)), "min")
    visit_at = cutoff + DAY + pd.to_timedelta(rng.integers(0, 5 * 24 * 60, len(customer)), "min")
    if future:
        courier = ordered + pd.to_timedelta(rng.integers(2 * 60, 18 * 60, len(customer)), "min")
        column, value = "delivered_at", np.where(visits, visit_at, courier)
    else:
        column, value = "cart_opened_at", np.where(visits, ordered - 3 * DAY, ordered - pd.Timedelta(hours=1))
    value = pd.Series(pd.to_datetime(value))
    if as_epoch:
        value = (value.astype("int64") // 10**9).where(visits)
    orders = pd.DataFrame(
        {"order_id": np.arange(len(customer)), "customer_id": customer, "ordered_at": ordered, column: value.to_numpy()}
    )
    seen = pd.DataFrame({"customer_id": customer[visits], "visited_at": visit_at[visits]}).reset_index(names="visit_id")
    return {"customers": pd.DataFrame({"customer_id": np.arange(customers)}), "orders": orders, "visits": seen}


def _autofeat(frames) -> float:
    inspection = inspect_database(frames)
    return run_baseline(inspection, build_task(inspection, QUERY, **CUTS), "autofeat").metrics["test"]["auroc"]


def _gnn(frames, tmp_path) -> float:
    model = relpool.fit(
        frames,
        QUERY,
        tmp_path / "m",
        channels=16,
        fanout=(16,),
        layers=1,
        epochs=6,
        max_steps=10,
        batch_size=256,
        lr=1e-2,
        text_embedder=HashingEmbedder(8),
        **CUTS,
    )
    return model.metrics["test"]["auroc"]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_time_filled_in_later_is_invisible_to_autofeat(seed):
    assert abs(_autofeat(_frames(future=True, as_epoch=True, seed=seed)) - 0.5) < 0.07


@pytest.mark.parametrize("seed", [0, 1])
def test_a_time_filled_in_later_is_invisible_to_the_gnn(seed, tmp_path):
    assert abs(_gnn(_frames(future=True, as_epoch=False, seed=seed), tmp_path) - 0.5) < 0.07


def test_the_same_information_known_in_time_is_learnt(tmp_path):
    assert _autofeat(_frames(future=False, as_epoch=True)) > 0.75
    assert _gnn(_frames(future=False, as_epoch=False), tmp_path) > 0.75


def test_column_types_say_why_and_bound_time_less_tables_by_the_cutoff():
    frames = _frames(future=True, as_epoch=False, customers=20)
    frames["customers"] = frames["customers"].assign(
        signed_up=pd.Timestamp("2020-06-01") + pd.to_timedelta(np.arange(20), "D"),
        last_login=pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(20) * 5, "D"),
    )
    inspection = inspect_database(frames, {"tables": {"customers": {"time_column": None}}})  # no row time
    schema = inspection.schema.tables
    orders = infer_column_types(inspection.database, schema["orders"], CUTS["val_at"]).columns["delivered_at"]
    assert orders.semantic == "ignore" and "later than the row's time ordered_at" in orders.reason
    assert "would show the future" in orders.reason
    customers = infer_column_types(inspection.database, schema["customers"], "2021-02-01").columns
    assert customers["signed_up"].semantic == "timestamp"  # every value before the cutoff
    assert customers["last_login"].semantic == "ignore" and "first validation cutoff" in customers["last_login"].reason

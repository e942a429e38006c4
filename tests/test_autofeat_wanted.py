"""A model's auto-features planned from their names: the full computation's values, with fewer statements.

Values agree to rounding, not bit for bit: DuckDB's order of summing a group's rows depends on the statement's
other columns (a third of a group's features moves 0-2 of ~50 sums by ~1e-14), as it does between two full
computations of different examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shop_frames

from relpool.autofeat import FeatureTimes
from relpool.db import inspect_database
from relpool.db.database import Database
from relpool.query.task import build_task
from relpool.train.example_features import compute_features, input_columns

QUERIES = {  # query: what some of its features must be
    "PREDICT SUM(transactions.amount, 0, 3, days) FOR EACH customers.customer_id": ("= '", "last 7d"),  # groups
    "PREDICT transactions.quantity FOR EACH transactions.transaction_id": ("products.price | transactions",),  # parents
}


def _statements(monkeypatch) -> list[str]:
    seen: list[str] = []
    execute = Database.execute
    monkeypatch.setattr(Database, "execute", lambda self, sql, *a: seen.append(sql) or execute(self, sql, *a))
    return seen


@pytest.mark.parametrize("query", QUERIES)
def test_the_named_features_equal_the_full_computation(query, monkeypatch):
    must = QUERIES[query]
    task = build_task(inspect_database(shop_frames()), query, step="3 days")
    times = FeatureTimes.of_task(task)
    train = task.tables["train"][["entity", "cutoff"]]
    full = compute_features(inspect_database(shop_frames()), task.bound, times, train)
    columns = input_columns(full, np.ones(len(full.frame), bool))
    assert all(any(part in c for c in columns) for part in must)
    some = list(np.random.default_rng(0).permutation(columns)[: len(columns) // 3])  # a subset: groups left out
    examples = train.sample(5, random_state=0)
    for wanted in (columns, some):
        expected = compute_features(inspect_database(shop_frames()), task.bound, times, examples).frame[wanted]
        fresh = inspect_database(shop_frames())  # no statistics remembered from the full computation
        seen = _statements(monkeypatch)
        got = compute_features(fresh, task.bound, times, examples, columns=wanted).frame
        monkeypatch.undo()
        assert sorted(got.columns) == sorted(wanted)
        pd.testing.assert_frame_equal(got[wanted], expected.reset_index(drop=True), rtol=1e-12, atol=0)
        assert not any("count(DISTINCT" in s or "GROUP BY v ORDER BY n DESC" in s for s in seen)  # no profiles


def test_a_category_with_a_quote_is_read_back_from_its_name():
    frames = shop_frames()
    frames["products"]["category"] = frames["products"]["category"].replace("toys", "kid's toys")
    task = build_task(inspect_database(frames), next(iter(QUERIES)), step="3 days")
    times = FeatureTimes.of_task(task)
    examples = task.tables["train"][["entity", "cutoff"]].head(20)
    full = compute_features(inspect_database(frames), task.bound, times, examples).frame
    wanted = [c for c in full.columns if "kid''s toys" in c]
    assert wanted
    got = compute_features(inspect_database(frames), task.bound, times, examples, columns=wanted).frame
    pd.testing.assert_frame_equal(got, full[wanted].reset_index(drop=True), rtol=1e-12, atol=0)

"""The affinity_level family: a regression whose target is the level of a varying number of in-style rows,
realised after the cutoff, with no aggregate of one column telling more than the loyalty prior."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from relpool.db import inspect_database
from relpool.query.task import build_task
from relpool.synth import SynthSpec, affinity, generate
from relpool.synth.affinity_level import AMOUNT_MEDIAN, AMOUNT_SCALE, COUNT_SPREAD
from relpool.synth.spec import LEVEL_QUERY, PERIOD_SECONDS, START

LEVEL = dict(entities=400, rows_per_entity=20, snr=0.25, family="affinity_level")  # k = 5 around a 10-fold spread


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("level") / "db"
    return folder, generate(SynthSpec(**LEVEL, format="parquet"), folder)


def weeks(folder) -> pd.DataFrame:
    """Every transaction with its standardised amount, its product's circular distance (turns) to its customer's
    taste, and its week's label and oracle."""
    tx = (
        duckdb.connect()
        .execute(f"""
        SELECT t.customer_id, (t.amount - {AMOUNT_MEDIAN}) / {AMOUNT_SCALE} AS x,
               atan2(p.style_y, p.style_x) AS style, atan2(c.taste_y, c.taste_x) AS taste,
               CAST(ceil(epoch(t.purchased_at - TIMESTAMP '{START}') / {PERIOD_SECONDS}) AS BIGINT) AS week
        FROM '{folder}/shop/transactions.parquet' t JOIN '{folder}/shop/products.parquet' p USING (product_id)
        JOIN '{folder}/shop/customers.parquet' c USING (customer_id)""")
        .df()
    )
    turns = (tx["style"] - tx["taste"]) / (2 * np.pi)
    tx["near"] = np.abs(turns - np.round(turns)) < affinity.WINDOW + 2.5 * affinity.HINT_NOISE
    labels = pd.read_parquet(folder / "labels.parquet")
    labels["week"] = (labels["cutoff"] - pd.Timestamp(START)) // pd.Timedelta(seconds=PERIOD_SECONDS)
    return tx.merge(labels, on=["customer_id", "week"])


def test_the_target_is_the_level_of_a_varying_number_of_rows_near_the_customers_style(shop):
    folder, truth = shop
    tx = weeks(folder)
    per_week = tx.groupby(["customer_id", "week"])
    near = per_week["near"].sum()
    assert (near.groupby("customer_id").nunique() == 1).mean() > 0.95  # a customer's own count, every week
    counts = near.groupby("customer_id").first()
    assert counts.max() / counts.min() >= COUNT_SPREAD / 2 and counts.median() == pytest.approx(5, abs=1)
    sizes = per_week.size()
    assert (sizes >= 2 * near).all() and sizes.max() / sizes.min() > 20
    level = tx[tx["near"]].groupby(["customer_id", "week"]).agg(x=("x", "mean"), label=("label", "first"))
    assert r2_score(level["label"], 100 + 20 * level["x"]) > 0.85  # the near rows' mean is the target's level
    assert truth["oracle"]["val_r2"] > 0.85 and truth["oracle"]["val_distractor_r2"] < 0.35
    assert truth["task"] == {**truth["task"], "type": "regression", "metric": "r2"}


def test_no_aggregate_of_the_weeks_amounts_tells_more_than_the_loyalty_prior(shop):
    folder, _ = shop
    tx = weeks(folder)
    week = tx.groupby(["customer_id", "week"]).agg(
        label=("label", "first"),
        prior=("distractor", "first"),
        mean=("x", "mean"),
        sd=("x", "std"),
        high=("x", "max"),
        low=("x", "min"),
        n=("x", "size"),
    )
    prior_only = r2_score(week["label"], week["prior"])
    features = week[["prior", "mean", "sd", "high", "low", "n"]]
    fitted = LinearRegression().fit(features, week["label"]).predict(features)  # in-sample: an upper bound
    assert r2_score(week["label"], fitted) < prior_only + 0.02
    near_mean = tx[tx["near"]].groupby(["customer_id", "week"])["x"].mean()
    assert r2_score(week["label"], 100 + 20 * near_mean.reindex(week.index)) > prior_only + 0.5  # not a dead check


def test_each_label_is_realised_after_its_cutoff_only(shop):
    """Leakage: the checkout that carries a cutoff's label lies in (cutoff, cutoff + 7 days], none before it."""
    folder, _ = shop
    checkouts = pd.read_parquet(folder / "shop" / "sessions.parquet").query("kind == 'checkout'")
    labels = pd.read_parquet(folder / "labels.parquet")
    both = labels.merge(checkouts, on="customer_id")
    carries = np.isclose(both["basket_value"], both["label"])
    after = (both["started_at"] > both["cutoff"]) & (both["started_at"] <= both["cutoff"] + pd.Timedelta(days=7))
    assert (carries == after).all() and after.groupby([both["customer_id"], both["cutoff"]]).sum().eq(1).all()
    others = pd.read_parquet(folder / "shop" / "sessions.parquet").query("kind != 'checkout'")
    assert others["basket_value"].isna().all()


def test_relpool_computes_the_generators_labels_from_the_query_in_sqlite(tmp_path):
    truth = generate(SynthSpec(**{**LEVEL, "entities": 60}, format="sqlite"), tmp_path / "db")
    assert truth["query"] == LEVEL_QUERY
    task = build_task(inspect_database(tmp_path / "db" / truth["database"]), truth["query"])
    intended = pd.read_parquet(tmp_path / "db" / "labels.parquet")
    for split in ("train", "val", "test"):
        computed = task.tables[split].rename(columns={"entity": "customer_id"})
        both = computed.merge(intended, on=["customer_id", "cutoff"], how="inner")
        assert len(both) == len(computed) > 0 and np.allclose(both["label_x"], both["label_y"])


def test_the_cli_names_the_level_familys_metric(run_cli, tmp_path):
    code, stdout, _ = run_cli(
        "synth", "--out", tmp_path / "db", "--entities", "40", "--rows-per-entity", "20", "--family", "affinity_level"
    )
    assert code == 0 and "oracle test R2" in stdout and "basket_value" in stdout

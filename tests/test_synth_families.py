"""The synth families: the default one unchanged to the bit, and the interaction one's signal visible only
on a row that joins transaction, product and customer, never in an aggregate of one column."""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

from relpool.db import inspect_database
from relpool.errors import RelpoolError
from relpool.query.task import build_task
from relpool.synth import SynthSpec, affinity, draw, generate
from relpool.synth.spec import PERIOD_SECONDS, START

SMALL = dict(entities=300, rows_per_entity=20, snr=0.25, format="parquet")  # 1,000 products: prices barely cluster
# Content digests of seed 5's tables, from the generator before the interaction family existed.
SIGNAL_DIGESTS = {
    "customers": "11d73f81597cbea6",
    "products": "2861503526449127",
    "sessions": "50313928b536a0e1",
    "transactions": "3333a46a4d8152b2",
    "labels": "41cf803f4b2faff1",
}


def digest(path) -> str:
    table = pq.read_table(path)
    h = hashlib.sha256()
    for name in table.column_names:
        h.update(name.encode())
        h.update(repr(table[name].to_pylist()).encode())
    return h.hexdigest()[:16]


def weekly(folder, family: str) -> pd.DataFrame:
    """Every transaction with its product, its customer's home category (if any), its week and that week's state."""
    home = "c.home_category" if family == "interaction" else "NULL"
    tx = (
        duckdb.connect()
        .execute(f"""
        SELECT t.customer_id, t.amount, t.quantity, t.channel, p.category, p.price, {home} AS home,
               CAST(ceil(epoch(t.purchased_at - TIMESTAMP '{START}') / {PERIOD_SECONDS}) AS BIGINT) AS week
        FROM '{folder}/shop/transactions.parquet' t JOIN '{folder}/shop/products.parquet' p USING (product_id)
        JOIN '{folder}/shop/customers.parquet' c USING (customer_id)""")
        .df()
    )
    labels = pd.read_parquet(folder / "labels.parquet")
    labels["week"] = (labels["cutoff"] - pd.Timestamp(START)) // pd.Timedelta(seconds=PERIOD_SECONDS)
    return tx.merge(labels[["customer_id", "week", "oracle"]], on=["customer_id", "week"])


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    truths = {f: generate(SynthSpec(**SMALL, family=f), root / f) for f in ("signal", "interaction")}
    return root, truths


def test_the_default_family_is_the_generator_before_families_bit_for_bit(tmp_path):
    generate(
        SynthSpec(entities=120, rows_per_entity=20, snr=0.25, products=60, format="parquet", seed=5), tmp_path / "db"
    )
    got = {t: digest(tmp_path / "db" / "shop" / f"{t}.parquet") for t in SIGNAL_DIGESTS if t != "labels"}
    got["labels"] = digest(tmp_path / "db" / "labels.parquet")
    assert got == SIGNAL_DIGESTS


def test_interaction_signal_is_the_home_category_rows_amount_and_the_oracle_reads_it(shops):
    root, truths = shops
    truth = truths["interaction"]
    tx = weekly(root / "interaction", "interaction")
    at_home = tx[tx["category"] == tx["home"]]
    assert (at_home.groupby(["customer_id", "week"]).size() == truth["signal"]["rows_per_customer_week"]).all()
    assert ((at_home["amount"] > draw.AMOUNT_MEDIAN) == (at_home["oracle"] == 1)).all()
    assert truth["family"] == "interaction" and "home_category" in truth["tables"]["customers"]["columns"]
    oracle = truth["oracle"]
    assert oracle["expected_auroc"] == pytest.approx(0.9) and 0.8 < oracle["test_auroc"] <= 1.0
    assert oracle["test_distractor_auroc"] < oracle["test_auroc"] - 0.15


def test_interaction_labels_relpool_computes_from_the_query_are_the_generators(shops):
    root, truth = shops[0] / "interaction", shops[1]["interaction"]
    task = build_task(inspect_database(root / truth["database"]), truth["query"])
    intended = pd.read_parquet(root / "labels.parquet")
    for split, cutoffs in truth["task"]["cutoffs"].items():
        computed = task.tables[split].rename(columns={"entity": "customer_id"})
        both = computed.merge(intended, on=["customer_id", "cutoff"], how="inner")
        assert len(both) == len(computed) == SMALL["entities"] * len(cutoffs)
        assert (both["label_x"].astype(bool) == both["label_y"]).all()


def aggregates(tx: pd.DataFrame) -> pd.DataFrame:
    """One customer-week's aggregates of single columns, as autofeat computes them, beside its state."""
    tx = tx.assign(
        high=tx["amount"] > draw.AMOUNT_MEDIAN,
        web=tx["channel"] == "web",
        marker=tx["category"] == draw.MARKER,
        home_rows=tx["category"] == tx["home"],
    )
    grouped = tx.groupby(["customer_id", "week"])
    return grouped.agg(
        state=("oracle", "first"),
        mean_amount=("amount", "mean"),
        max_amount=("amount", "max"),
        min_amount=("amount", "min"),
        std_amount=("amount", "std"),
        high_amounts=("high", "sum"),
        mean_price=("price", "mean"),
        max_price=("price", "max"),
        mean_quantity=("quantity", "mean"),
        web=("web", "sum"),
        marker=("marker", "sum"),
        home_rows=("home_rows", "sum"),
    )


def test_no_aggregate_of_one_column_tells_signal_weeks_from_noise_weeks(shops):
    """Each aggregate's AUROC for the week's state is chance in the interaction family, while the same
    check finds the signal family's marginal shift (so it can fail) and the row-level condition is exact."""
    root, _ = shops
    weeks = {f: aggregates(weekly(root / f, f)) for f in ("signal", "interaction")}
    inter = weeks["interaction"]
    separation = {c: abs(roc_auc_score(inter["state"], inter[c].fillna(0)) - 0.5) for c in inter if c != "state"}
    assert max(separation.values()) < 0.05, separation
    signal = weeks["signal"]
    assert roc_auc_score(signal["state"], signal["mean_amount"]) > 0.75
    tx = weekly(root / "interaction", "interaction")
    rows = tx[tx["category"] == tx["home"]].groupby(["customer_id", "week"])
    assert roc_auc_score(rows["oracle"].first(), rows["amount"].mean()) == 1.0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--family", "mixed"], "--family must be one of signal, interaction"),
        (["--family", "interaction", "--snr", "0.6"], "must be at most half of 50"),
    ],
)
def test_bad_family_input_is_one_clear_message_and_exit_2(args, message, run_cli, tmp_path):
    code, _, stderr = run_cli("synth", "--out", tmp_path / "db", *args)
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "db").exists()


NOISY = dict(entities=300, rows_per_entity=20, snr=0.1, format="parquet")  # k = 2 signal rows a week


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    root = tmp_path_factory.mktemp("noisy")
    truths = {f: generate(SynthSpec(**NOISY, family=f), root / f) for f in ("affinity", "sizes", "affinity_sizes")}
    return root, truths


def styled(folder) -> pd.DataFrame:
    """Every transaction with its week's state and its product's circular distance (turns) to its customer's taste."""
    tx = (
        duckdb.connect()
        .execute(f"""
        SELECT t.customer_id, t.amount, p.product_id, atan2(p.style_y, p.style_x) AS style,
               atan2(c.taste_y, c.taste_x) AS taste,
               CAST(ceil(epoch(t.purchased_at - TIMESTAMP '{START}') / {PERIOD_SECONDS}) AS BIGINT) AS week
        FROM '{folder}/shop/transactions.parquet' t JOIN '{folder}/shop/products.parquet' p USING (product_id)
        JOIN '{folder}/shop/customers.parquet' c USING (customer_id)""")
        .df()
    )
    turns = (tx["style"] - tx["taste"]) / (2 * np.pi)
    tx["distance"] = np.abs(turns - np.round(turns))
    labels = pd.read_parquet(folder / "labels.parquet")
    labels["week"] = (labels["cutoff"] - pd.Timestamp(START)) // pd.Timedelta(seconds=PERIOD_SECONDS)
    return tx.merge(labels[["customer_id", "week", "oracle"]], on=["customer_id", "week"])


@pytest.mark.parametrize("family", ["affinity", "affinity_sizes"])
def test_affinity_signal_rows_are_those_near_the_customers_own_taste(noisy, family):
    root, truths = noisy
    tx = styled(root / family)
    near = tx[tx["distance"] < affinity.WINDOW + 2.5 * affinity.HINT_NOISE]
    counts = near.groupby(["customer_id", "week"]).size().reindex(tx.groupby(["customer_id", "week"]).size().index)
    assert (counts == truths[family]["signal"]["rows_per_customer_week"]).mean() > 0.95
    weeks = near.groupby(["customer_id", "week"])
    assert roc_auc_score(weeks["oracle"].first(), weeks["amount"].mean()) > 0.99
    # No fixed row filter: most products bought near one customer's taste are bought far from another's.
    both = set(near["product_id"]) & set(tx.loc[tx["distance"] > affinity.GAP, "product_id"])
    assert len(both) > 0.5 * tx["product_id"].nunique()
    # Nor any week aggregate of the amounts: the mirrors balance them.
    all_rows = tx.groupby(["customer_id", "week"]).agg(state=("oracle", "first"), mean=("amount", "mean"))
    assert abs(roc_auc_score(all_rows["state"], all_rows["mean"]) - 0.5) < 0.05
    oracle = truths[family]["oracle"]
    assert oracle["expected_auroc"] == pytest.approx(0.9) and oracle["test_auroc"] > 0.8


@pytest.mark.parametrize("family", ["sizes", "affinity_sizes"])
def test_sizes_families_weekly_counts_are_heavy_tailed_with_k_signal_rows_each(noisy, family):
    root, truths = noisy
    tx = weekly(root / family, "signal") if family == "sizes" else styled(root / family)
    per_week = tx.groupby(["customer_id", "week"]).size()
    per_customer = per_week.groupby("customer_id")
    assert (per_customer.nunique() == 1).all()  # a customer's own size, every week
    sizes = per_customer.first()
    assert sizes.max() / sizes.min() > 30 and sizes.median() == pytest.approx(NOISY["rows_per_entity"], rel=0.3)
    k = truths[family]["signal"]["rows_per_customer_week"]
    if family == "sizes":  # the control's row filter: exactly k marker rows, their amounts the state
        marker = tx[tx["category"] == draw.MARKER]
        assert (marker.groupby(["customer_id", "week"]).size() == k).all()
        side = (marker["amount"] > draw.AMOUNT_MEDIAN) == (marker["oracle"] == 1)
        assert (side | (marker["amount"] == draw.AMOUNT_MEDIAN)).all()  # as in the signal family: 50.00 rounds
    periods = SynthSpec(**NOISY).periods  # tx holds the weeks with a label: all but the last
    assert truths[family]["tables"]["transactions"]["rows"] == sizes.sum() * periods
    assert len(tx) == sizes.sum() * (periods - 1)


def test_new_families_labels_are_what_relpool_computes_from_the_query(noisy):
    root, truths = noisy
    truth = truths["affinity_sizes"]
    task = build_task(inspect_database(root / "affinity_sizes" / truth["database"]), truth["query"])
    intended = pd.read_parquet(root / "affinity_sizes" / "labels.parquet")
    computed = task.tables["test"].rename(columns={"entity": "customer_id"})
    both = computed.merge(intended, on=["customer_id", "cutoff"], how="inner")
    assert len(both) == NOISY["entities"] and (both["label_x"].astype(bool) == both["label_y"]).all()
    assert {"taste_x", "taste_y"} <= set(truth["tables"]["customers"]["columns"])
    assert {"style_x", "style_y"} <= set(truth["tables"]["products"]["columns"])


@pytest.mark.parametrize(
    "spec, message",
    [
        (dict(family="affinity", snr=0.6), "must be at most half of 20"),
        (dict(family="sizes", size_spread=0.5), "--size-spread must be at least 1"),
        (dict(family="affinity", products=50), "needs at least 100 products"),
    ],
)
def test_new_family_specs_refuse_what_they_cannot_draw(spec, message):
    with pytest.raises(RelpoolError, match=message):
        SynthSpec(**{**NOISY, **spec})

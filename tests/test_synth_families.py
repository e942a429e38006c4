"""The synth families: the default one unchanged to the bit, and the interaction one's signal visible only
on a row that joins transaction, product and customer, never in an aggregate of one column."""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

from relpool.db import inspect_database
from relpool.query.task import build_task
from relpool.synth import SynthSpec, draw, generate
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

"""Synthetic shop databases: schema as truth.json states it, the planted signal, labels relpool computes
from the written query equal the generator's, a reproducible oracle, flat memory in chunks, bad input."""

from __future__ import annotations

import json
import tracemalloc

import duckdb
import numpy as np
import pandas as pd
import pytest

from relpool.db import inspect_database
from relpool.query.task import build_task
from relpool.synth import SynthSpec, build, draw, generate
from relpool.synth.spec import PERIOD_SECONDS, START

SMALL = dict(entities=120, rows_per_entity=20, snr=0.25, products=60)


@pytest.fixture(scope="module", params=["sqlite", "parquet"])
def shop(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / request.param
    truth = generate(SynthSpec(**SMALL, format=request.param), out)
    return out, truth


def test_tables_keys_and_times_are_what_truth_says(shop):
    out, truth = shop
    inspection = inspect_database(out / truth["database"])
    assert not [p for p in inspection.validation.problems if p.level in ("error", "warning")]
    for name, stated in truth["tables"].items():
        table = inspection.schema.tables[name]
        assert table.primary_key == (stated["primary_key"],)
        assert table.time_column == stated["time_column"]
        assert {
            fk.columns[0]: f"{fk.references_table}.{fk.references_columns[0]}" for fk in table.foreign_keys
        } == stated["foreign_keys"]
        assert inspection.rows[name] == stated["rows"]
    assert sum(inspection.rows.values()) == truth["rows_total"]


def test_signal_rows_are_a_fraction_s_and_carry_the_weekly_state(tmp_path):
    truth = generate(SynthSpec(**SMALL, format="parquet"), tmp_path / "db")
    con = duckdb.connect()
    folder = tmp_path / "db" / "shop"
    tx = con.execute(f"""
        SELECT t.customer_id, p.category = '{draw.MARKER}' AS marker, t.amount,
               CAST(ceil(epoch(t.purchased_at - TIMESTAMP '{START}') / {PERIOD_SECONDS}) AS BIGINT) AS week
        FROM '{folder}/transactions.parquet' t JOIN '{folder}/products.parquet' p USING (product_id)""").df()
    weekly = tx.groupby(["customer_id", "week"])["marker"].agg(["mean", "size"])
    assert (weekly["size"] == SMALL["rows_per_entity"]).all()
    assert np.allclose(weekly["mean"], SMALL["snr"])
    assert truth["signal"]["fraction"] == SMALL["snr"]
    labels = pd.read_parquet(tmp_path / "db" / "labels.parquet")
    labels["week"] = (labels["cutoff"] - pd.Timestamp(START)) // pd.Timedelta(seconds=PERIOD_SECONDS)
    signal = tx[tx["marker"]].merge(labels, on=["customer_id", "week"])
    assert ((signal["amount"] > draw.AMOUNT_MEDIAN) == (signal["oracle"] == 1)).all()
    noise = tx[~tx["marker"]]
    assert abs((noise["amount"] > draw.AMOUNT_MEDIAN).mean() - 0.5) < 0.02  # same marginal as the signal rows


def test_labels_relpool_computes_from_the_query_are_the_generators(shop):
    out, truth = shop
    task = build_task(inspect_database(out / truth["database"]), truth["query"])
    intended = pd.read_parquet(out / "labels.parquet")
    for split, cutoffs in truth["task"]["cutoffs"].items():
        assert [str(c.isoformat()) for c in task.cutoffs[split]] == cutoffs
        computed = task.tables[split].rename(columns={"entity": "customer_id"})
        expected = intended[intended["cutoff"].isin(pd.to_datetime(cutoffs))]
        both = computed.merge(expected, on=["customer_id", "cutoff"], how="outer", indicator=True)
        assert (both["_merge"] == "both").all() and len(both) == SMALL["entities"] * len(cutoffs)
        assert (both["label_x"].astype(bool) == both["label_y"]).all()


def test_oracle_is_reproducible_and_depends_on_the_seed(tmp_path):
    runs = [generate(SynthSpec(**SMALL, seed=seed), tmp_path / f"run{i}")["oracle"] for i, seed in enumerate((3, 3, 4))]
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert 0.8 < runs[0]["test_auroc"] <= 1.0 and runs[0]["expected_auroc"] == pytest.approx(0.9)
    truth = json.loads((tmp_path / "run0" / "truth.json").read_text())
    assert truth["oracle"] == runs[0]


def test_chunked_generation_holds_no_per_row_objects(tmp_path, monkeypatch):
    """Eight times the rows in chunks of ~10k: the Python/NumPy peak stays at one chunk's worth."""
    monkeypatch.setattr(build, "CHUNK_ROWS", 10_000)
    peaks, rows = [], []
    for entities in (100, 800):
        tracemalloc.start()
        truth = generate(
            SynthSpec(entities=entities, rows_per_entity=50, snr=0.1, format="parquet"), tmp_path / str(entities)
        )
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        rows.append(truth["rows_total"])
    assert rows[1] > 340_000 and rows[1] / rows[0] > 6
    assert peaks[1] < 1.5 * peaks[0], f"peaks {[round(p / 2**20, 1) for p in peaks]} MiB grow with the rows"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--snr", "0"], "--snr must be in (0, 1]"),
        (["--snr", "1.5"], "--snr must be in (0, 1]"),
        (["--entities", "0"], "--entities must be at least 1"),
        (["--format", "csv"], "--format must be one of sqlite, parquet"),
        (["--snr", "0.01", "--rows-per-entity", "10"], "rounds to no signal row"),
    ],
)
def test_bad_input_is_one_clear_message_and_exit_2(args, message, run_cli, tmp_path):
    code, _, stderr = run_cli("synth", "--out", tmp_path / "db", *args)
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "db").exists()


def test_cli_writes_a_new_folder_and_refuses_a_used_one(run_cli, tmp_path):
    code, stdout, stderr = run_cli("synth", "--out", tmp_path / "db", "--entities", "20", "--format", "parquet")
    assert code == 0, stderr
    assert "PREDICT" in stdout and (tmp_path / "db" / "shop" / "sessions.parquet").exists()
    code, _, stderr = run_cli("synth", "--out", tmp_path / "db", "--entities", "20")
    assert code == 2 and "already exists" in stderr

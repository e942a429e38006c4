"""Inference and time on data as it comes in the wild: pandas' float integers, ambiguous composite keys,
keys with duplicates, partly unparsable, far-out and half-offset times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import foreign_key_set, write_sqlite
from rich.console import Console

from relpool.db import inspect_database
from relpool.db.measure import INTEGRAL_FLOAT
from relpool.graph.build import NEVER_VISIBLE, build_graph
from relpool.query.inputs import visible_rows
from relpool.query.splits import check_cutoff_in_range
from relpool.query.task import build_task, latest_time_sql
from relpool.report.task_view import render_task

DAY = pd.Timedelta(days=1)


def _messages(inspection, level: str = "warning") -> list[str]:
    return [p.message for p in inspection.validation.problems if p.level == level]


# ---- 1. Integers that pandas wrote as floats (a NaN among them) ----


def _seasons(rng) -> dict[str, pd.DataFrame]:
    teams = pd.DataFrame({"team_id": np.arange(1, 6), "name": [f"team {i}" for i in range(5)]})
    rows = [
        (t, y, int(rng.integers(0, 100)))
        for t in range(1, 6)
        for y in range(2000, 2011)
        for _ in range(int(rng.integers(1, 4)))
    ]
    seasons = pd.DataFrame(rows, columns=["team_id", "year", "wins"]).astype({"year": float})
    seasons.loc[3, "year"] = np.nan  # one season of unknown year: the whole column becomes REAL
    return {"teams": teams, "seasons": seasons}


@pytest.mark.parametrize("kind", ["sqlite", "frames"])
def test_float_year_is_a_time_column_and_year_windows_work(kind, tmp_path):
    frames = _seasons(np.random.default_rng(0))
    source = write_sqlite(frames, tmp_path / "seasons.sqlite") if kind == "sqlite" else frames
    inspection = inspect_database(source)
    seasons = inspection.schema.tables["seasons"]
    assert inspection.database.columns("seasons")["year"] == "DOUBLE"
    assert seasons.time_column == "year"
    assert INTEGRAL_FLOAT in seasons.evidence["time_column"]
    assert inspection.time_ranges["seasons"] == ("2000-12-31 23:59:59", "2010-12-31 23:59:59")
    assert inspection.validation.errors == []
    assert any("seasons.year is NULL in 1 of" in m for m in _messages(inspection))

    task = build_task(
        inspection, "PREDICT COUNT(seasons.*, 0, 1, years) FOR EACH teams.team_id", test_at="2008-12-31 23:59:59"
    )
    s = frames["seasons"]
    expected = s[s["year"] == 2009].groupby("team_id").size().reindex(range(1, 6), fill_value=0)
    got = dict(zip(task.tables["test"]["entity"], task.tables["test"]["label"]))
    assert got == expected.to_dict()  # the rows of 2009 are known at its end, inside (c, c + 1 year]


def test_float_ids_are_keys_and_foreign_keys_that_join_integers(tmp_path):
    rng = np.random.default_rng(1)
    customers = pd.DataFrame({"customer_id": np.arange(1, 21), "region": rng.choice(["n", "s"], 20)})
    products = pd.DataFrame({"product_id": np.arange(1.0, 11.0), "price": rng.uniform(1, 9, 10).round(2)})
    orders = pd.DataFrame(
        {
            "order_id": np.arange(200),
            "customer_id": rng.integers(1, 21, 200).astype(float),
            "product_id": rng.integers(1, 11, 200),  # integers pointing at a float key
            "at": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 90 * 24, 200), unit="h"),
        }
    )
    orders.loc[[5, 17], "customer_id"] = np.nan
    inspection = inspect_database(
        write_sqlite({"customers": customers, "products": products, "orders": orders}, tmp_path / "orders.sqlite")
    )
    schema = inspection.schema
    assert inspection.database.columns("orders")["customer_id"] == "DOUBLE"
    assert schema.tables["products"].primary_key == ("product_id",)
    assert INTEGRAL_FLOAT in schema.tables["products"].evidence["primary_key"]
    assert foreign_key_set(schema) == {
        ("orders", ("customer_id",), "customers"),
        ("orders", ("product_id",), "products"),
    }
    fk = next(fk for fk in schema.tables["orders"].foreign_keys if fk.columns == ("customer_id",))
    assert f"orders.customer_id is an {INTEGRAL_FLOAT}" in fk.evidence
    assert inspection.validation.errors == []  # no "type mismatch" between DOUBLE and BIGINT

    built = build_graph(inspection)
    assert built.dropped_edges["orders.customer_id -> customers.customer_id"] == 2  # the two NaNs only
    assert built.dropped_edges["orders.product_id -> products.product_id"] == 0

    cutoff = pd.Timestamp("2020-03-01")
    task = build_task(
        inspection, "PREDICT COUNT(orders.*, 0, 14, days) FOR EACH customers.customer_id", test_at=str(cutoff)
    )
    window = orders[(orders["at"] > cutoff) & (orders["at"] <= cutoff + 14 * DAY)]
    expected = window.groupby("customer_id").size().reindex(np.arange(1.0, 21.0), fill_value=0)
    got = dict(zip(task.tables["test"]["entity"], task.tables["test"]["label"]))
    assert got == {int(k): v for k, v in expected.items()}


def test_fractional_floats_are_never_keys_or_years():
    measures = pd.DataFrame({"reading": [1.5, 2.5, 3.5, 4.5], "year": [2000.5, 2001.0, 2002.0, 2003.0]})
    inspection = inspect_database({"measures": measures})
    table = inspection.schema.tables["measures"]
    assert table.primary_key is None and table.time_column is None


# ---- 2. Several unique pairs: the one other tables carry is the key ----


def _stores(rng, year_dtype=float) -> dict[str, pd.DataFrame]:
    chains = pd.DataFrame({"chain_id": [1, 2, 3, 4], "name": list("abcd")})
    stores = pd.DataFrame(
        {"store_id": [1, 2, 3, 4, 5, 6, 7, 7], "chain_id": [1, 2, 3, 4, 1, 2, 3, 3], "city": list("pqrstuvw")}
    )
    years = range(2010, 2020)
    # One store per chain here, so (chain_id, year) is unique too: only other tables tell which is meant.
    store_years = pd.DataFrame(
        {
            "chain_id": np.repeat([1, 2, 3, 4], len(years)),
            "store_id": np.repeat([1, 2, 3, 4], len(years)),
            "year": np.tile(years, 4),
            "revenue": rng.uniform(1, 9, 40).round(3),
        }
    )
    frames = {"chains": chains, "stores": stores, "store_years": store_years}
    for name in ("staff", "inventory", "visits", "returns", "adverts"):
        frames[name] = pd.DataFrame(
            {
                "year": np.tile(years, 8).astype(year_dtype),
                "store_id": np.repeat([1, 2, 3, 4], 20),
                "month": np.tile(np.repeat([1, 6], len(years)), 4),
                "value": rng.integers(0, 50, 80),
            }
        )
    frames["staff"].loc[0, "year"] = np.nan  # pandas: year becomes a float column
    return frames


def test_composite_key_follows_the_pair_other_tables_carry(tmp_path):
    frames = _stores(np.random.default_rng(2))
    inspection = inspect_database(write_sqlite(frames, tmp_path / "stores.sqlite"))
    schema = inspection.schema
    key = schema.tables["store_years"].primary_key
    assert set(key) == {"store_id", "year"}
    assert (
        "5 other table(s) carry the pair: adverts, inventory, returns, staff, visits"
        in schema.tables["store_years"].evidence["primary_key"]
    )
    for child in ("staff", "inventory", "visits", "returns", "adverts"):
        assert (child, key, "store_years") in foreign_key_set(schema)  # columns (year, store_id) in the child
        assert schema.tables[child].primary_key is None
    assert ("store_years", ("chain_id",), "chains") in foreign_key_set(schema)
    assert inspection.validation.errors == []
    staff_fk = "staff(" + ", ".join(key) + ") -> store_years(" + ", ".join(key) + ")"
    assert build_graph(inspection).dropped_edges[staff_fk] == 1  # the row whose year is NaN; 1.0-years join


def test_tables_keyed_alike_point_at_the_largest_one_way_only():
    years = range(2015, 2020)
    base = pd.DataFrame({"site_id": np.repeat([1, 2, 3], 5), "year": np.tile(years, 3), "area": range(15)})
    extra = base.iloc[:10].rename(columns={"area": "rent"})
    sensors = pd.DataFrame({"site_id": np.repeat([1, 2, 3], 10), "year": np.tile(years, 6), "reading": range(30)})
    schema = inspect_database({"base": base, "extra": extra, "sensors": sensors}).schema
    assert set(schema.tables["base"].primary_key) == set(schema.tables["extra"].primary_key) == {"site_id", "year"}
    fks = {(t, p) for t, _, p in foreign_key_set(schema)}
    assert fks == {("extra", "base"), ("sensors", "base"), ("sensors", "extra")}  # never base -> extra


# ---- 3. A key with duplicates leaves its children unlinked: say so ----


def test_a_key_with_duplicates_is_reported_with_the_children_it_cost(tmp_path, run_cli):
    stores = pd.DataFrame({"store_id": list(range(1, 41)) + [7], "city": [f"c{i}" for i in range(41)]})
    sales = pd.DataFrame({"sale_id": range(100), "store_id": np.arange(100) % 40 + 1, "amount": np.arange(100.0)})
    path = write_sqlite({"stores": stores, "sales": sales}, tmp_path / "dup.sqlite")
    inspection = inspect_database(path)
    assert inspection.schema.tables["stores"].primary_key is None
    assert not inspection.schema.tables["sales"].foreign_keys
    [warning] = [m for m in _messages(inspection) if "looks like the key" in m]
    assert "stores.store_id" in warning and "1 duplicate rows (e.g. 7)" in warning
    assert "sales.store_id could not be linked" in warning and "schema file" in warning
    code, stdout, _ = run_cli("inspect", path)
    assert code == 0 and "No problems found" not in stdout and "duplicate" in stdout

    clean = inspect_database({"stores": stores.iloc[:40], "sales": sales})
    assert not any("looks like the key" in m for m in _messages(clean))
    assert foreign_key_set(clean.schema) == {("sales", ("store_id",), "stores")}


# ---- 4. A time column with some unparsable values stays the time column ----


def _events_with_bad_times(column: str, bad_share: float) -> dict[str, pd.DataFrame]:
    users = pd.DataFrame({"user_id": range(1, 11)})
    n = 200
    at = (pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(n) * 12, unit="h")).strftime("%Y-%m-%d %H:%M:%S")
    at = pd.Series(at)
    bad = np.arange(n) % 10 < round(bad_share * 10)  # spread over the whole time range
    at[bad] = "unknown"
    events = pd.DataFrame({"event_id": range(n), "user_id": np.arange(n) % 10 + 1, column: at})
    return {"users": users, "events": events}


def test_partly_unparsable_time_column_is_kept_and_its_bad_rows_never_visible():
    frames = _events_with_bad_times("at", 0.1)
    inspection = inspect_database(frames)
    events = inspection.schema.tables["events"]
    assert events.time_column == "at"  # dropping it would make every row always visible
    assert "partly parsed" in events.evidence["time_column"]
    assert any("events.at: 20 of 200 values do not parse" in m and "never visible" in m for m in _messages(inspection))

    bad_ids = set(frames["events"].loc[frames["events"]["at"] == "unknown", "event_id"])
    times = build_graph(inspection).graph.node_time["events"]
    assert (times[sorted(bad_ids)] == NEVER_VISIBLE).all()

    task = build_task(inspection, "PREDICT COUNT(events.*, 0, 7, days) FOR EACH users.user_id")
    test = task.tables["test"]
    seen = visible_rows(inspection, "users", "events", test)
    assert len(seen) > 0 and not (set(seen["event_id"]) & bad_ids)
    assert (seen["__t"] <= task.cutoffs["test"][0]).all()


@pytest.mark.parametrize("column, share, kept", [("created_at", 0.3, True), ("note", 0.3, False), ("note", 0.6, True)])
def test_partly_parsing_text_is_a_time_by_majority_or_by_name(column, share, kept):
    frames = _events_with_bad_times(column, 1 - share)
    schema = inspect_database(frames).schema
    assert (schema.tables["events"].time_column == column) is kept


# ---- 5. A few times far outside the rest: reported, and no cutoff goes there ----


@pytest.fixture(scope="module")
def far_out_db():
    rng = np.random.default_rng(3)
    users = pd.DataFrame({"user_id": range(1, 11)})
    at = pd.Timestamp("2010-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 3650, 500)), unit="D")
    at = list(at.strftime("%Y-%m-%d")) + ["9999-12-31", "9999-12-31", "9999-12-31", "1066-10-14"]
    events = pd.DataFrame({"event_id": range(len(at)), "user_id": np.arange(len(at)) % 10 + 1, "at": at})
    return inspect_database({"users": users, "events": events})


def test_far_out_times_are_reported(far_out_db):
    [warning] = [m for m in _messages(far_out_db) if "far outside" in m]
    assert "events.at: 4 of 504 times lie far outside the rest" in warning
    assert "1066-10-14" in warning and "9999-12-31" in warning


def test_far_out_times_never_place_cutoffs(far_out_db):
    task = build_task(far_out_db, "PREDICT COUNT(events.*, 0, 1, years) FOR EACH users.user_id")
    cutoffs = task.cutoffs
    assert cutoffs["test"][0] < pd.Timestamp("2020-01-01") and cutoffs["val"][0] < cutoffs["test"][0]
    assert len(cutoffs["train"]) <= 9 and min(cutoffs["train"]) >= pd.Timestamp("2010-01-01")
    summary = task.to_json()
    assert summary["time_range"]["left_out"] == 4
    assert summary["time_range"]["last"] < "2020" and summary["time_range"]["first"] >= "2010"
    assert summary["cutoff_range"] == [str(min(cutoffs["train"])), str(cutoffs["test"][0])]
    console = Console(record=True, width=200)
    render_task(summary, console)
    text = console.export_text()
    assert f"cutoffs {summary['cutoff_range'][0]} .. {summary['cutoff_range'][1]}" in text
    assert "4 times far outside left out" in text


def test_prediction_time_far_from_the_data_is_flagged(far_out_db):
    assert check_cutoff_in_range(far_out_db, "2019-06-01") is None
    assert check_cutoff_in_range(far_out_db, "2025-01-01") is None  # within one span of the end
    later = check_cutoff_in_range(far_out_db, "2040-01-01")
    assert later and "after the newest time" in later
    earlier = check_cutoff_in_range(far_out_db, pd.Timestamp("2005-01-01"))
    assert earlier and "before every time" in earlier
    # The default prediction time (the newest time) is the newest in range, not 9999-12-31.
    assert far_out_db.database.scalar(f"SELECT {latest_time_sql(far_out_db)}").year == 2019


def test_small_tables_have_no_far_out_times():
    events = pd.DataFrame(
        {
            "event_id": range(6),
            "at": ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05", "2020-06-01"],
        }
    )
    assert not any("far outside" in m for m in _messages(inspect_database({"events": events})))


# ---- 6. Some text times with an offset, some without ----


@pytest.mark.parametrize(
    "values, naive",
    [
        (["2020-01-01T10:00:00+02:00", "2020-01-02 10:00:00Z", "2020-01-03 10:00:00", "2020-01-04"], 2),
        (["2020-01-01T10:00:00+02:00", "2020-01-02 10:00:00Z", "2020-01-03 10:00:00-0500"], 0),
        (["2020-01-01 10:00:00", "2020-01-02", "2020-01-03 10:00:00.5"], 0),
    ],
)
def test_naive_times_among_offset_times_are_reported(values, naive):
    inspection = inspect_database({"events": pd.DataFrame({"event_id": range(len(values)), "at": values})})
    assert inspection.schema.tables["events"].time_column == "at"
    found = [m for m in _messages(inspection) if "no UTC offset" in m]
    if naive:
        [warning] = found
        assert f"{naive:,} of {len(values)} times have no UTC offset" in warning and "read as UTC" in warning
    else:
        assert not found

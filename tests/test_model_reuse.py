"""A loaded model reuses the database it prepared while the database is unchanged, and only then."""

from __future__ import annotations

import shutil
import sqlite3

import pandas as pd
import pytest
from conftest import shop_frames

import relpool
from relpool.encode import HashingEmbedder

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=64, step="1 days")


@pytest.fixture(scope="module")
def model_dir(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("reuse") / "m"
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), **TINY)
    return out


def test_a_second_predict_on_the_same_file_reuses_the_prepared_database(model_dir, shop_db, reads):
    model = relpool.Model.load(model_dir)
    first = model.predict(shop_db, at="2020-01-20")
    second = model.predict(shop_db, at="2020-01-25")
    again = model.predict(shop_db, at="2020-01-20")
    model.evaluate(shop_db)
    assert len(reads) == 1
    pd.testing.assert_frame_equal(first, again)
    assert len(second) >= len(first)


def test_a_changed_file_is_read_again(model_dir, shop_db, tmp_path, reads):
    db = tmp_path / "shop.sqlite"
    shutil.copy(shop_db, db)
    model = relpool.Model.load(model_dir)
    before = model.predict(str(db), at="2020-03-01")
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO customers (customer_id, name, signup) VALUES (999, 'new', '2020-02-15')")
    con.close()
    after = model.predict(str(db), at="2020-03-01")
    assert len(reads) == 2
    assert 999 in set(after["customer_id"]) and 999 not in set(before["customer_id"])


def test_dataframes_are_read_on_every_call(model_dir, reads):
    frames = shop_frames()
    model = relpool.Model.load(model_dir)
    model.predict(frames, at="2020-01-20")
    frames["customers"].loc[len(frames["customers"])] = [999, "new", "2020-01-15"]
    after = model.predict(frames, at="2020-01-20")
    assert len(reads) == 2 and 999 in set(after["customer_id"])


def test_notes_are_repeated_when_the_prepared_database_is_reused(model_dir, tmp_path, capsys):
    frames = {**shop_frames(), "extra": pd.DataFrame({"x": [1, 2]})}
    folder = tmp_path / "db"
    folder.mkdir()
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    model = relpool.Model.load(model_dir)
    for _ in range(2):
        model.predict(str(folder), at="2020-01-20")
        assert "ignoring table(s) 'extra'" in capsys.readouterr().err

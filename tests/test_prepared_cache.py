"""``--cache DIR``: the prepared graph and encoded tables stored memory-mapped, reused, and never trusted damaged."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import shop_frames

import relpool
from relpool.db import inspect_database
from relpool.encode import HashingEmbedder
from relpool.encode.stored import load_frame, save_frame
from relpool.errors import RelpoolError
from relpool.graph.stored import load_graph, save_graph
from relpool.query.task import build_task
from relpool.train import prepare as prepare_module
from relpool.train.prepare import Cached, prepare_training

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=64, step="1 days", budget=0)


@pytest.fixture
def builds(monkeypatch):
    """How often the graph and the tables were built from the database (a cache hit adds none)."""
    calls = []
    for name in ("build_graph", "materialize_database", "encode_for_model"):
        original = getattr(prepare_module, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(prepare_module, name, counting)
    return calls


@pytest.fixture
def db_copy(shop_db, tmp_path) -> Path:
    return Path(shutil.copy(shop_db, tmp_path / "shop.sqlite"))


def _prepared(db, cache, notes=None):
    inspection = inspect_database(db)
    task = build_task(inspection, QUERY, "1 days", None, None)
    note = (notes if notes is not None else []).append
    cached = Cached(cache, db, relpool.train.prepare.fingerprint(db), note)
    return prepare_training(inspection, task, HashingEmbedder(8), cached)


def _mapped_files() -> dict[str, list[tuple[int, int]]]:
    """This process's file mappings: path -> [(start, end)] address ranges."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 6:
            start, end = (int(x, 16) for x in parts[0].split("-"))
            ranges.setdefault(parts[5], []).append((start, end))
    return ranges


def _in_a_mapped_file(address: int, under: Path) -> bool:
    return any(
        lo <= address < hi for path, spans in _mapped_files().items() if path.startswith(str(under)) for lo, hi in spans
    )


def test_a_graph_round_trips_with_its_arrays_mapped(shop_db, tmp_path):
    graph = _prepared(shop_db, None).graph
    save_graph(graph, tmp_path / "g")
    loaded = load_graph(tmp_path / "g")
    assert loaded.node_types == graph.node_types and loaded.edge_types == graph.edge_types
    for t in graph.node_types:
        np.testing.assert_array_equal(loaded.node_time[t], graph.node_time[t])
        assert isinstance(loaded.node_time[t], np.memmap)
    for e, csr in graph.edges.items():
        got = loaded.edges[e]
        assert got.num_dst == csr.num_dst and got.indices.dtype == csr.indices.dtype
        for part in ("indptr", "indices", "times"):
            np.testing.assert_array_equal(getattr(got, part), getattr(csr, part))
            assert isinstance(getattr(got, part), np.memmap) and not getattr(got, part).flags.writeable


def test_an_encoded_frame_round_trips_as_tensors_on_the_mapped_files(shop_db, tmp_path):
    tables = _prepared(shop_db, None).tables
    for name, table in tables.items():
        save_frame(table.tensor_frame, tmp_path / name)
        frame = load_frame(tmp_path / name)
        assert frame.num_rows == table.num_rows and frame.col_names_dict == table.tensor_frame.col_names_dict
        for stype, data in table.tensor_frame.feat_dict.items():
            got = frame.feat_dict[stype]
            if isinstance(data, torch.Tensor):
                torch.testing.assert_close(got, data, equal_nan=True)
                if got.numel():
                    assert _in_a_mapped_file(got.data_ptr(), tmp_path / name)  # not a copy in memory
            else:
                torch.testing.assert_close(got.values, data.values, equal_nan=True)
                torch.testing.assert_close(got.offset, data.offset)


def test_a_cached_preparation_equals_the_built_one_and_is_mapped(shop_db, tmp_path):
    built = _prepared(shop_db, None)
    cached = _prepared(shop_db, tmp_path / "cache")
    assert cached.col_stats.keys() == built.col_stats.keys()
    for name, table in built.tables.items():
        got = cached.tables[name]
        assert got.column_types == table.column_types and got.stats_rows == table.stats_rows
        assert str(got.col_stats) == str(table.col_stats)
    first = next(iter(cached.graph.edges.values()))
    assert _in_a_mapped_file(first.indptr.ctypes.data, tmp_path / "cache")


def test_a_second_preparation_reads_the_cache_instead_of_building(shop_db, tmp_path, builds):
    _prepared(shop_db, tmp_path / "cache")
    assert sorted(builds) == ["build_graph", "materialize_database"]
    _prepared(shop_db, tmp_path / "cache")
    assert len(builds) == 2


def test_a_changed_database_file_is_prepared_anew(db_copy, tmp_path, builds):
    _prepared(str(db_copy), tmp_path / "cache")
    with sqlite3.connect(db_copy) as con:
        con.execute("UPDATE products SET price = price + 1")
    con.close()
    _prepared(str(db_copy), tmp_path / "cache")
    assert len(builds) == 4
    assert len([p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]) == 2


@pytest.mark.parametrize("damage", ["truncate", "manifest"])
def test_a_damaged_or_partial_entry_is_rebuilt_with_a_note(shop_db, tmp_path, builds, damage):
    cache = tmp_path / "cache"
    _prepared(shop_db, cache)
    (entry,) = list(cache.iterdir())
    if damage == "truncate":
        victim = next(entry.rglob("*.npy"))
        victim.write_bytes(victim.read_bytes()[:20])
    else:
        (entry / "manifest.json").unlink()
    notes: list[str] = []
    again = _prepared(shop_db, cache, notes)
    assert len(builds) == 4 and any("damaged or incomplete; rebuilding" in n for n in notes)
    assert again.graph.num_edges() == _prepared(shop_db, cache).graph.num_edges()
    assert len(builds) == 4  # the rebuilt entry is whole and reused


def test_a_cache_that_cannot_be_a_folder_is_one_clear_error(shop_db, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RelpoolError, match="is a file, not a folder"):
        _prepared(shop_db, blocker / "cache")


def test_a_cache_inside_a_folder_database_is_refused(tmp_path):
    from conftest import write_folder

    folder = write_folder(shop_frames(), tmp_path / "shop")
    with pytest.raises(RelpoolError, match="inside the input"):
        _prepared(str(folder), folder / "cache")
    assert not (folder / "cache").exists()


def test_dataframes_are_not_cached_and_that_is_said(tmp_path, builds):
    notes: list[str] = []
    _prepared(shop_frames(), tmp_path / "cache", notes)
    assert any("--cache is not used" in n for n in notes)
    assert not (tmp_path / "cache").exists()


def test_a_second_fit_with_the_cache_builds_nothing_and_scores_the_same(shop_db, tmp_path, builds):
    cache = tmp_path / "cache"
    plain = relpool.fit(shop_db, QUERY, tmp_path / "plain", text_embedder=HashingEmbedder(8), **TINY)
    assert len(builds) == 2
    cold = relpool.fit(shop_db, QUERY, tmp_path / "cold", text_embedder=HashingEmbedder(8), cache=cache, **TINY)
    assert len(builds) == 4
    warm = relpool.fit(shop_db, QUERY, tmp_path / "warm", text_embedder=HashingEmbedder(8), cache=cache, **TINY)
    assert len(builds) == 4
    for model in (cold, warm):
        assert model.metrics["val"] == plain.metrics["val"] and model.metrics["test"] == plain.metrics["test"]


def test_the_environment_names_the_cache_and_evaluate_and_predict_reuse_it(shop_db, tmp_path, builds, monkeypatch):
    monkeypatch.setenv("RELPOOL_CACHE", str(tmp_path / "cache"))
    model = relpool.fit(shop_db, QUERY, tmp_path / "m", text_embedder=HashingEmbedder(8), **TINY)
    assert (tmp_path / "cache").is_dir() and len(builds) == 2
    first = relpool.Model.load(tmp_path / "m").predict(shop_db, at="2020-01-20")
    assert builds[2:] == ["build_graph", "encode_for_model"]  # the model's own encoding: a second entry
    again = relpool.Model.load(tmp_path / "m").predict(shop_db, at="2020-01-20")
    metrics = relpool.Model.load(tmp_path / "m").evaluate(shop_db)
    assert len(builds) == 4
    assert first.equals(again) and metrics["val"] == model.metrics["val"]


def test_the_cli_cache_option_serves_fit_predict_and_explain(shop_db, tmp_path, run_cli, builds):
    cache, out = tmp_path / "cache", tmp_path / "m"
    tiny = ["--channels", "8", "--fanout", "4,2", "--epochs", "1", "--max-steps", "2", "--batch-size", "64"]
    code, _, stderr = run_cli(
        "fit",
        shop_db,
        QUERY,
        "--out",
        out,
        *tiny,
        "--step",
        "1 days",
        "--text-embedder",
        "hashing",
        "--budget",
        "0",
        "--no-baselines",
        "--cache",
        cache,
    )
    assert code == 0, stderr
    assert builds[:2] == ["materialize_database", "build_graph"]
    after_fit = len(builds)  # the report's explanations encode fit's own database again, outside the cache
    code, _, stderr = run_cli("predict", out, shop_db, "--out", tmp_path / "p.csv", "--cache", cache)
    assert code == 0, stderr
    assert builds[after_fit:] == ["build_graph", "encode_for_model"]
    code, _, stderr = run_cli("explain", out, shop_db, "--entity", "1", "--cache", cache)
    assert code == 0, stderr
    assert len(builds) == after_fit + 2  # explain maps predict's entry
    assert len(list(cache.iterdir())) == 2


def test_the_cli_refuses_an_unwritable_cache_in_one_sentence(shop_db, tmp_path, run_cli):
    relpool.fit(shop_db, QUERY, tmp_path / "m", text_embedder=HashingEmbedder(8), **TINY)
    (tmp_path / "file").write_text("x")
    code, _, stderr = run_cli(
        "evaluate",
        tmp_path / "m",
        shop_db,
        "--cache",
        tmp_path / "file" / "cache",
    )
    assert code != 0 and "is a file, not a folder" in stderr and "Traceback" not in stderr

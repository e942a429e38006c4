"""fit's candidate networks (--budget): trained only when they fit in the budget, chosen on validation only,
the winner served from the model directory itself, the others kept under candidates/ (the seed ensemble
of the winner: tests/test_seed_ensemble.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from rich.console import Console

import relpool
from relpool.encode import HashingEmbedder
from relpool.train import fit as fit_module
from relpool.train.checkpoint import load_json
from relpool.train.prepare import prepare_training
from relpool.workflow import candidates
from relpool.workflow.comparison import model_name

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=64, step="1 days", features=False)


def _fit(db, out, **options):
    return relpool.fit(db, QUERY, out, text_embedder=HashingEmbedder(8), **{**TINY, **options})


def _options(folder) -> dict:
    return load_json(folder / "config.json")["options"]


def test_a_candidate_in_the_budget_is_trained_and_the_better_on_validation_is_served(shop_db, tmp_path, monkeypatch):
    monkeypatch.setattr(candidates, "_ensemble", lambda folder, run, *rest: model_name(run.metrics))  # its own tests
    out = tmp_path / "m"
    metrics = _fit(shop_db, out, budget=60, report=True).metrics
    assert {"gnn", "gnn-recent", "entity", "autofeat"} <= set(metrics["models"])
    val = {n: metrics["models"][n]["val"]["auroc"] for n in ("gnn", "gnn-recent")}
    served = "gnn-recent" if val["gnn-recent"] > val["gnn"] else "gnn"  # ties keep the default
    other = ({"gnn", "gnn-recent"} - {served}).pop()
    assert metrics.get("variant") == ("recent" if served == "gnn-recent" else None)
    assert _options(out)["loop"]["strategy"] == ("recent" if served == "gnn-recent" else "uniform")
    kept = out / "candidates" / other
    assert _options(kept)["loop"]["strategy"] == ("uniform" if served == "gnn-recent" else "recent")
    assert not (kept / "checkpoint").exists() and (out / "checkpoint").is_dir()  # --resume continues the default
    test = pd.read_parquet(kept / "predictions_test.parquet")
    assert len(test) == len(pd.read_parquet(out / "predictions_test.parquet"))
    assert load_json(kept / "metrics.json")["val"] == metrics["models"][other]["val"]


def test_the_candidate_that_wins_swaps_places_with_the_default(shop_db, tmp_path, monkeypatch):
    """Validation decides; here it is made to prefer the candidate, so the swap itself is checked."""
    monkeypatch.setattr(candidates, "_best", lambda networks, default: "gnn-recent")
    prepared = []
    monkeypatch.setattr(fit_module, "prepare_training", lambda *a: prepared.append(a) or prepare_training(*a))
    out = tmp_path / "m"
    model = _fit(shop_db, out, budget=60)
    assert len(prepared) == 1  # the candidate trains on the default network's prepared database
    assert model.metrics["variant"] == "recent" and model.metrics["chosen"] == "gnn-recent"
    assert _options(out)["loop"]["strategy"] == "recent" and tuple(_options(out)["loop"]["fanout"]) == (56, 1)
    assert _options(out)["epochs"] == 2 and _options(out)["patience"] == 6
    assert _options(out / "candidates" / "gnn")["loop"]["strategy"] == "uniform"
    assert not (out / "candidates" / "gnn-recent").exists()
    served = model.predict(shop_db, at="2020-01-20")
    assert len(served) > 0  # the served network's config and weights belong together


def test_a_candidate_that_would_pass_the_budget_is_not_trained(shop_db, tmp_path, capsys):
    out = tmp_path / "m"
    metrics = _fit(shop_db, out, budget=0.001, console=Console(stderr=True)).metrics
    assert "variant" not in metrics and not (out / "candidates").exists()
    assert "not trained" in capsys.readouterr().err


def test_budget_zero_trains_the_default_network_alone(shop_db, tmp_path, monkeypatch):
    monkeypatch.setattr(candidates, "DEFAULT_BUDGET_MINUTES", 60.0)  # the default would try the candidate
    metrics = _fit(shop_db, tmp_path / "m", budget=0).metrics
    assert "models" not in metrics and not (tmp_path / "m" / "candidates").exists()


@pytest.mark.parametrize(
    "task_type, metric, values, best",
    [
        ("binary", "auroc", {"gnn": 0.7, "gnn-recent": 0.8}, "gnn-recent"),
        ("binary", "auroc", {"gnn": 0.8, "gnn-recent": 0.8}, "gnn"),  # a tie keeps the default
        ("regression", "mae", {"gnn": 2.0, "gnn-recent": 1.5}, "gnn-recent"),  # lower is better
        ("regression", "mae", {"gnn": 1.5, "gnn-recent": 2.0}, "gnn"),
        ("binary", "auroc", {"gnn": None, "gnn-recent": 0.6}, "gnn-recent"),  # undefined loses to a value
        ("binary", "auroc", {"gnn": 0.6, "gnn-recent": None}, "gnn"),
    ],
)
def test_the_choice_among_networks_is_on_validation_only(task_type, metric, values, best):
    networks = {
        n: {"task_type": task_type, "metric": metric, "val": {metric: v}, "test": {metric: 1.0 - (v or 0)}}
        for n, v in values.items()
    }
    assert candidates._best(networks, networks["gnn"]) == best


def test_the_candidate_trains_twice_as_long_on_every_recent_row():
    from relpool.train.fit_options import FitOptions

    ((name, recent),) = candidates.variants(FitOptions(layers=3))
    assert name == "recent" and recent.loop.strategy == "recent" and recent.loop.fanout == (56, 1, 1)
    assert (recent.epochs, recent.patience) == (20, 6) and recent.features and recent.pool == "adaptive"

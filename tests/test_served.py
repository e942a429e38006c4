"""fit serves the best model on validation: a LightGBM baseline that wins is what predict, evaluate and explain use."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import relpool
from relpool.baselines import BaselineResult
from relpool.encode.text import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.workflow.comparison import choose

QUERY = "PREDICT SUM(transactions.amount, 0, 3, days) FOR EACH customers.customer_id"
# One step of a tiny plain GNN learns next to nothing: the autofeat baseline wins on validation.
UNTRAINED = dict(channels=8, fanout=(2, 1), epochs=1, max_steps=1, batch_size=8, step="1 days", features=False)


@pytest.fixture(scope="module")
def served(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("served") / "m"
    relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), report=True, **UNTRAINED)
    return out


def test_the_better_baseline_on_validation_is_chosen_and_its_scores_reported(served):
    metrics = json.loads((served / "metrics.json").read_text())
    models = metrics["models"]
    assert set(models) == {"gnn", "entity", "autofeat", "blend"}
    best = min((n for n in models if n != "blend"), key=lambda name: models[name]["val"]["mae"])
    assert metrics["chosen"] == best != "gnn"
    assert metrics["val"] == models[best]["val"] and metrics["test"] == models[best]["test"]
    assert "validation" in metrics["chosen_because"]
    assert (served / "baselines" / best / "model.txt").is_file()


def test_predict_and_evaluate_use_the_served_baseline(served, shop_db):
    model = relpool.Model.load(served)
    metrics = model.metrics
    assert model.served is not None and model.served.kind == metrics["chosen"]
    assert model.evaluate(shop_db)["test"] == pytest.approx(metrics["test"], abs=1e-9)
    test = pd.read_parquet(served / "baselines" / metrics["chosen"] / "predictions_test.parquet")
    predicted = model.predict(shop_db, at=str(test["cutoff"].iloc[0])).set_index("customer_id")["prediction"]
    expected = test.set_index("entity")["prediction"]
    assert predicted.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)


def test_explain_gives_the_served_baseline_s_feature_shares(served, shop_db):
    explanation = relpool.Model.load(served).explain(shop_db, "5", at="2020-01-20", top=4)
    assert set(explanation) == {"entity", "cutoff", "prediction", "tables", "columns", "rows"}
    assert sum(t["score"] for t in explanation["tables"]) == pytest.approx(1)
    assert len(explanation["columns"]) <= 4 and explanation["rows"] == []
    with pytest.raises(RelpoolError, match="reads aggregates, not rows"):
        relpool.Model.load(served).predict(shop_db, at="2020-01-20", explain=True)


def test_an_edited_served_model_is_refused(served, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(served, copy)
    chosen = json.loads((copy / "metrics.json").read_text())["chosen"]
    path = copy / "baselines" / chosen / "model.txt"
    path.write_text(path.read_text().replace("Tree=0", "Tree=0 ", 1))
    with pytest.raises(RelpoolError, match="changed after training"):
        relpool.Model.load(copy)


def _result(val: float | None, served: bool) -> BaselineResult:
    metrics = {"val": {"auroc": val}, "test": {"auroc": 0.5}, "seconds": 1.0}
    return BaselineResult(metrics, [], pd.DataFrame(), served=object() if served else None)  # type: ignore[arg-type]


def test_choice_is_on_validation_ties_keep_the_network_and_unservable_baselines_are_never_chosen():
    def run(own: float | None, **baselines: BaselineResult) -> dict:
        metrics = {"metric": "auroc", "task_type": "binary", "features": True, "seconds": 2.0}
        metrics |= {"val": {"auroc": own}, "test": {"auroc": 0.9}}
        choose(metrics, baselines)
        return metrics

    assert run(0.8, autofeat=_result(0.9, True))["chosen"] == "autofeat"
    assert run(0.9, autofeat=_result(0.9, True))["chosen"] == "hybrid"  # a tie keeps the network
    assert run(0.8, autofeat=_result(0.95, False))["chosen"] == "hybrid"  # a ranking baseline cannot be served
    undefined = run(None, autofeat=_result(None, True))
    assert undefined["chosen"] == "hybrid" and "undefined" in undefined["chosen_because"]
    assert run(0.8, autofeat=_result(0.9, True))["test"] == {"auroc": 0.5}  # the chosen model's test

"""A fit whose blend is chosen serves it: predict, evaluate and explain use both members with the stored weight."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

import relpool
from relpool.encode.text import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.workflow import comparison, fit_report

QUERY = "PREDICT SUM(transactions.amount, 0, 3, days) FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(2, 1), epochs=1, max_steps=2, batch_size=8, step="1 days", features=False)


@pytest.fixture(scope="module")
def blended(shop_db, tmp_path_factory):
    """Validation decides; here it is made to prefer the blend (a tiny network rarely earns it), so serving
    the blend itself is what is checked."""

    def prefer_blend(metrics, compared, networks=None, blend=None):
        assert blend is not None  # a regression task with a served autofeat is blended
        comparison.choose(metrics, compared, networks, {**blend, "val": {"mae": -1.0}})
        metrics.update(val=blend["val"], test=blend["test"])

    patch = pytest.MonkeyPatch()
    patch.setattr(fit_report, "choose", prefer_blend)
    out = tmp_path_factory.mktemp("blended") / "m"
    try:
        relpool.fit(shop_db, QUERY, out, text_embedder=HashingEmbedder(8), report=True, **TINY)
    finally:
        patch.undo()
    return out


def test_the_chosen_blend_is_stored_and_its_scores_are_metrics_json_s(blended):
    metrics = json.loads((blended / "metrics.json").read_text())
    assert metrics["chosen"] == "blend" and metrics["test"] == metrics["models"]["blend"]["test"]
    about = json.loads((blended / "blend.json").read_text())
    assert about["weight"] == metrics["models"]["blend"]["weight"] and 0 < about["weight"] < 1
    assert "val_tuned" in metrics["models"]["blend"]
    assert f"blend: {about['weight']:g} × network" in (blended / "report.html").read_text()


def test_evaluate_and_predict_reproduce_the_blend_s_test_scores(blended, shop_db):
    model = relpool.Model.load(blended)
    assert model.blend is not None and model.served is None
    metrics = model.metrics
    assert model.evaluate(shop_db)["test"]["mae"] == pytest.approx(metrics["test"]["mae"], abs=1e-6)
    network = pd.read_parquet(blended / "predictions_test.parquet")
    autofeat = pd.read_parquet(blended / "baselines" / "autofeat" / "predictions_test.parquet")
    at = network["cutoff"].iloc[0]
    w = model.blend.weight
    expected = w * network.set_index("entity")["prediction"] + (1 - w) * autofeat.set_index("entity")["prediction"]
    expected = expected[network.set_index("entity")["cutoff"] == at]
    predicted = model.predict(shop_db, at=str(at)).set_index("customer_id")["prediction"]
    assert predicted.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-6)
    assert model.explain(shop_db, "5", at=str(at), top=3)["note"].startswith(f"{blended} serves a blend")


def test_a_missing_or_edited_member_is_one_clear_error(blended, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(blended, copy)
    (copy / "blend.json").write_text("{")
    with pytest.raises(RelpoolError, match="blend.json cannot be read"):
        relpool.Model.load(copy)
    shutil.copy(blended / "blend.json", copy / "blend.json")
    shutil.rmtree(copy / "baselines" / "autofeat")
    with pytest.raises(RelpoolError, match="autofeat member is missing"):
        relpool.Model.load(copy)


def test_the_service_and_the_explain_view_say_a_blend_is_served(blended, shop_db):
    from rich.console import Console

    from relpool.report.explain_view import render_explanation
    from relpool.serve.service import Service

    service = Service(relpool.Model.load(blended), shop_db, console=Console(quiet=True))
    assert service.health()["served"] == "blend"
    console = Console(record=True, width=200)
    render_explanation(service.explain("5", at="2020-01-20", top=3), console)
    assert "explains its network part" in console.export_text()

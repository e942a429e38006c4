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
    # float32 networks agree to about 1e-7 relative; predictions near 30 differ by ~1e-6 absolute
    assert predicted.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-6)
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


BINARY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"


@pytest.fixture(scope="module")
def blended_binary(shop_db, tmp_path_factory):
    """As ``blended``, for a binary task: its blend averages log-odds."""

    def prefer_blend(metrics, compared, networks=None, blend=None):
        assert blend is not None and blend["space"] == "logit"
        comparison.choose(metrics, compared, networks, {**blend, "val": {"auroc": 2.0}})
        metrics.update(val=blend["val"], test=blend["test"])

    patch = pytest.MonkeyPatch()
    patch.setattr(fit_report, "choose", prefer_blend)
    out = tmp_path_factory.mktemp("blended_binary") / "m"
    try:
        relpool.fit(shop_db, BINARY, out, text_embedder=HashingEmbedder(8), report=True, **TINY)
    finally:
        patch.undo()
    return out


def test_a_served_binary_blend_reproduces_its_test_score_and_predicts_in_log_odds(blended_binary, shop_db):
    import numpy as np

    about = json.loads((blended_binary / "blend.json").read_text())
    assert about["space"] == "logit"
    model = relpool.Model.load(blended_binary)
    assert model.blend is not None and model.blend.space == "logit"
    assert model.evaluate(shop_db)["test"]["auroc"] == pytest.approx(model.metrics["test"]["auroc"], abs=1e-9)
    network = pd.read_parquet(blended_binary / "predictions_test.parquet").set_index("entity")
    autofeat = pd.read_parquet(blended_binary / "baselines" / "autofeat" / "predictions_test.parquet")
    at = network["cutoff"].iloc[0]
    logit = lambda p: np.log(np.clip(p, 1e-7, 1 - 1e-7) / (1 - np.clip(p, 1e-7, 1 - 1e-7)))  # noqa: E731
    w = model.blend.weight
    odds = w * logit(network["probability"]) + (1 - w) * logit(autofeat.set_index("entity")["probability"])
    expected = (1 / (1 + np.exp(-odds)))[network["cutoff"] == at]
    predicted = model.predict(shop_db, at=str(at)).set_index("customer_id")["probability"]
    assert predicted.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-6)


def test_a_blend_json_from_before_log_odds_blending_still_averages_probabilities(blended_binary, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(blended_binary, copy)
    about = json.loads((copy / "blend.json").read_text())
    del about["space"]
    (copy / "blend.json").write_text(json.dumps(about))
    assert relpool.Model.load(copy).blend.space == "linear"
    (copy / "blend.json").write_text(json.dumps({**about, "space": "rank"}))
    with pytest.raises(RelpoolError, match="space 'rank' is not relpool's"):
        relpool.Model.load(copy)

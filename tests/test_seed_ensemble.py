"""fit's seed ensemble: three seeds of the served network averaged, trained within the budget, chosen on
validation only, served (predict, evaluate, explain) exactly as it was scored, and refused when a member's
weights are missing or altered."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from rich.console import Console

import relpool
from relpool.encode import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.train.checkpoint import load_json, load_tensors, save_tensors, sha256
from relpool.train.data import gather_frames
from relpool.train.explain_rows import entity_row
from relpool.train.split_predictions import EVAL_SEED
from relpool.workflow import candidates
from relpool.workflow.comparison import model_name

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = dict(channels=8, fanout=(4, 2), epochs=1, max_steps=2, batch_size=64, step="1 days")
AT = "2020-01-20"


def _fit(db, out, monkeypatch, wins: bool, **options):
    """A fit whose only candidate is the seed ensemble, made to win (or lose) on validation."""
    monkeypatch.setattr(candidates, "variants", lambda options: [])
    pick = (lambda networks, default: list(networks)[-1]) if wins else (lambda networks, default: model_name(default))
    monkeypatch.setattr(candidates, "_best", pick)
    return relpool.fit(db, QUERY, out, text_embedder=HashingEmbedder(8), **{**TINY, "budget": 60, **options})


@pytest.fixture(scope="module")
def served(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("ensemble") / "m"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _fit(shop_db, out, monkeypatch, wins=True)
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def test_the_served_ensemble_averages_its_three_members_log_odds(served):
    metrics = load_json(served / "metrics.json")
    assert metrics["chosen"] == "hybrid-ensemble" and metrics["variant"] == "ensemble"
    assert [m["seed"] for m in metrics["members"]] == [0, 1, 2]
    about = json.loads((served / "ensemble.json").read_text())
    assert [m["weights"] for m in about["members"]] == [f"members/seed-{s}/model.safetensors" for s in (1, 2)]
    single = served / "candidates" / "hybrid"
    assert load_json(single / "metrics.json")["val"] == metrics["models"]["hybrid"]["val"]
    for split in ("val", "test"):
        members = [single, served / "members" / "seed-1", served / "members" / "seed-2"]
        frames = [pd.read_parquet(m / f"predictions_{split}.parquet") for m in members]
        odds = np.mean([_logit(f["probability"].to_numpy(dtype=float)) for f in frames], axis=0)
        ensemble = pd.read_parquet(served / f"predictions_{split}.parquet")
        assert ensemble[["entity", "cutoff"]].equals(frames[0][["entity", "cutoff"]])
        assert ensemble["probability"].to_numpy(dtype=float) == pytest.approx(1 / (1 + np.exp(-odds)), abs=1e-5)
        assert not np.allclose(ensemble["probability"], frames[0]["probability"])  # the members differ


def test_evaluate_repeats_the_ensemble_s_validation_and_test_metrics(served, shop_db):
    metrics = load_json(served / "metrics.json")
    evaluated = relpool.Model.load(served).evaluate(shop_db, console=Console(quiet=True))
    assert evaluated["val"]["auroc"] == pytest.approx(metrics["val"]["auroc"])
    assert evaluated["test"]["auroc"] == pytest.approx(metrics["test"]["auroc"])
    assert (
        metrics["val"] != metrics["models"]["hybrid"]["val"] or metrics["test"] != metrics["models"]["hybrid"]["test"]
    )


def test_an_explanation_is_of_the_ensemble_predict_serves(served, shop_db):
    model = relpool.Model.load(served)
    explanation = model.explain(shop_db, "9", at=AT, console=Console(quiet=True))
    assert model._sessions.current is not None
    session = model._sessions.current
    assert len(session.loop.members) == 3
    seed, _ = entity_row(session.prepared.inspection, "customers", "9")
    cutoff = np.array([pd.Timestamp(AT).value // 10**9])
    example = pd.DataFrame({"entity": [9], "cutoff": [pd.Timestamp(AT)]})
    features = model._features(session.prepared.inspection, session.bound, example)
    assert features is not None  # the hybrid GNN: its auto-feature scores are averaged too
    outputs = session.loop.predict_outputs(np.array([seed]), cutoff, EVAL_SEED, None, features)
    alone = model.kind.predictions(outputs, model.targets, model.k)["probability"].iloc[0]
    assert explanation["prediction"] == pytest.approx(float(alone), rel=1e-5)
    assert sum(t["score"] for t in explanation["tables"]) == pytest.approx(1)
    with torch.no_grad():
        each = [
            m.head_outputs(m.seed_embeddings(*_one(session.loop, seed, cutoff)), None, None, features).item()
            for m in session.loop.members
        ]
    assert float(outputs.item()) == pytest.approx(float(np.mean(each)), rel=1e-5)
    assert np.ptp(each) > 0  # three different networks


def _one(loop, seed, cutoff):
    """The one-seed batch an explanation (and predict, for that entity alone) samples, and its frames."""
    batch = loop.sampler(EVAL_SEED).sample("customers", np.array([seed]), cutoff)
    return gather_frames(loop.tables, batch), batch


def test_a_losing_ensemble_is_kept_beside_the_served_network(shop_db, tmp_path, monkeypatch):
    out = tmp_path / "m"
    metrics = _fit(shop_db, out, monkeypatch, wins=False).metrics
    assert metrics["chosen"] == "hybrid" and "hybrid-ensemble" in metrics["models"]
    assert not (out / "ensemble.json").exists() and not (out / "members").exists()
    kept = out / "candidates" / "hybrid-ensemble"
    assert (kept / "members" / "seed-2" / "model.safetensors").is_file() and (
        kept / "predictions_val.parquet"
    ).is_file()
    assert not (kept / "members" / "seed-1" / "checkpoint").exists()


def test_an_ensemble_that_would_pass_the_budget_is_not_trained(shop_db, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(candidates, "variants", lambda options: [])
    out = tmp_path / "m"
    relpool.fit(
        shop_db, QUERY, out, text_embedder=HashingEmbedder(8), budget=0.001, console=Console(stderr=True), **TINY
    )
    assert "ensemble candidate network is not trained" in capsys.readouterr().err
    assert not (out / "candidates").exists()


@pytest.mark.parametrize("damage, message", [("delete", "is missing"), ("alter", "does not match its checksum")])
def test_a_missing_or_altered_member_is_refused(served, tmp_path, damage, message):
    copy = tmp_path / "m"
    shutil.copytree(served, copy)
    member = copy / "members" / "seed-2" / "model.safetensors"
    if damage == "delete":
        member.unlink()
    else:
        member.write_bytes(member.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(RelpoolError, match=message):
        relpool.Model.load(copy)


def test_the_ensemble_s_model_id_covers_its_members(served, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(served, copy)
    assert relpool.Model.load(copy).id == relpool.Model.load(served).id  # the same directory, copied
    about = json.loads((copy / "ensemble.json").read_text())
    weights = copy / about["members"][0]["weights"]
    state = load_tensors(weights)
    name = next(iter(state))
    state[name] = state[name] + 1.0
    save_tensors(weights, state)
    about["members"][0]["sha256"] = sha256(weights)
    (copy / "ensemble.json").write_text(json.dumps(about))
    assert relpool.Model.load(copy).id != relpool.Model.load(served).id


def test_predict_with_explanations_predicts_what_the_ensemble_predicts(served, shop_db):
    model = relpool.Model.load(served)
    plain = model.predict(shop_db, at=AT, console=Console(quiet=True))
    explained = model.predict(shop_db, at=AT, console=Console(quiet=True), explain=True)
    assert explained["probability"].to_numpy() == pytest.approx(plain["probability"].to_numpy(), rel=1e-5)
    rows = [json.loads(e) for e in explained["explanation"]]
    assert all(r and r[0]["score"] >= r[-1]["score"] for r in rows)


def test_the_report_shows_the_ensemble_beside_the_single_network(shop_db, tmp_path, monkeypatch):
    out = tmp_path / "m"
    metrics = _fit(shop_db, out, monkeypatch, wins=True, report=True).metrics
    assert {"hybrid-ensemble", "hybrid", "autofeat", "entity"} <= set(metrics["models"])
    assert metrics["variant"] == "ensemble"  # the served network, whichever model the comparison chose
    page = (out / "report.html").read_text()
    assert "hybrid GNN (ensemble)" in page and "hybrid GNN" in page
    assert [m["seed"] for m in metrics["members"]] == [0, 1, 2]
    for member in metrics["members"]:  # each member's own curve, which the report draws beside the others
        assert 1 <= member["best_epoch"] <= len(member["history"])
    assert metrics["members"][1]["history"] != metrics["members"][0]["history"]
    assert "averages 3 networks trained from seeds 0, 1, 2" in page

"""The blend candidate: its weight is chosen on validation, its competing score is cross-fitted, members align."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relpool.errors import RelpoolError
from relpool.tasks import task_kind
from relpool.workflow import blend as blend_module
from relpool.workflow.blend import aligned, best_weight, blend, halves
from relpool.workflow.comparison import choose


def _frames(labels, network, baseline, column, entities=None):
    n = len(labels)
    keys = {
        "entity": entities if entities is not None else np.arange(n),
        "cutoff": pd.Timestamp("2020-01-01"),
        "label": labels,
    }
    return pd.DataFrame({**keys, column: network}), pd.DataFrame({**keys, column: baseline})


def _split(task_type, labels, network, baseline, seed=0):
    """val and test: the same signal, drawn twice."""
    column = task_kind(task_type).column
    val = _frames(labels, network, baseline, column)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    test = _frames(labels[order], network[order], baseline[order], column)
    return {"val": val[0], "test": test[0]}, {"val": val[1], "test": test[1]}


def _independent_errors(n=400, seed=0):
    """Two regressors with independent errors of equal size: their average halves the error variance."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    return truth, truth + rng.normal(size=n), truth + rng.normal(size=n)


def test_two_members_with_independent_errors_blend_to_a_better_score_than_either():
    truth, network, baseline = _independent_errors()
    nets, bases = _split("regression", truth, network, baseline)
    result = blend("regression", nets, bases)
    assert result is not None and 0.3 <= result.weight <= 0.7
    mae = lambda p: float(np.mean(np.abs(truth - p)))  # noqa: E731
    assert result.val["mae"] < min(mae(network), mae(baseline))
    assert result.test["mae"] < min(mae(network), mae(baseline))


def test_a_useless_network_gets_the_smallest_weight_and_the_blend_loses_to_the_baseline():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 400)
    baseline = np.clip(labels * 0.6 + rng.uniform(0, 0.4, 400), 0, 1)  # separates the classes perfectly
    network = rng.uniform(size=400)  # noise
    nets, bases = _split("binary", labels, network, baseline)
    result = blend("binary", nets, bases)
    assert result is not None and result.weight == 0.1
    own = {"metric": "auroc", "task_type": "binary", "seconds": 1.0, "val": {"auroc": 0.5}, "test": {"auroc": 0.5}}
    from relpool.baselines import BaselineResult

    autofeat = BaselineResult({"val": {"auroc": 1.0}, "test": {"auroc": 1.0}, "seconds": 1.0}, [], pd.DataFrame())
    autofeat.served = object()  # type: ignore[assignment]
    choose(own, {"autofeat": autofeat}, blend=result.metrics())
    assert own["chosen"] == "autofeat" and own["models"]["blend"]["weight"] == 0.1


def test_a_blend_that_wins_on_validation_is_chosen_and_says_its_weight():
    truth, network, baseline = _independent_errors(seed=2)
    result = blend("regression", *_split("regression", truth, network, baseline))
    assert result is not None
    mae = lambda p: {"mae": float(np.mean(np.abs(truth - p)))}  # noqa: E731
    own = {"metric": "mae", "task_type": "regression", "seconds": 1.0, "val": mae(network), "test": mae(network)}
    choose(own, {}, blend=result.metrics())
    assert own["chosen"] == "blend" and own["val"] == result.val and own["test"] == result.test
    assert f"weight {result.weight:g}" in own["chosen_because"]


def test_the_competing_score_is_cross_fitted_not_the_score_tuned_on_all_of_val(monkeypatch):
    """With few examples, tuning w on all of val and scoring it there is optimistic; the cross-fitted score
    uses each half's weight from the other half, so it differs and is never better than the tuned one."""
    truth, network, baseline = _independent_errors(n=40, seed=3)
    result = blend("regression", *_split("regression", truth, network, baseline))
    assert result is not None
    assert result.val["mae"] >= result.val_tuned["mae"]
    assert result.val["mae"] != result.val_tuned["mae"]
    # scoring each half with a weight chosen on that same half reproduces the optimism the cross-fit avoids
    seen = []
    real = blend_module.best_weight
    monkeypatch.setattr(blend_module, "best_weight", lambda *a: seen.append(len(a[1])) or real(*a))
    blend("regression", *_split("regression", truth, network, baseline))
    first = halves(pd.Series(np.arange(40)))
    assert sorted(seen) == sorted([int((~first).sum()), int(first.sum()), 40])  # each half, then all of val


def test_halves_keep_an_entity_s_examples_together():
    entities = pd.Series([1, 2, 3, 1, 2, 3, 1])
    first = halves(entities)
    for entity in entities.unique():
        assert len(set(first[entities.to_numpy() == entity])) == 1


def test_predictions_for_different_examples_are_refused_and_shuffled_ones_aligned():
    network, baseline = _frames(np.arange(5.0), np.arange(5.0), np.arange(5.0) * 2, "prediction")
    a, b = aligned(network, baseline.iloc[::-1])
    assert (b["prediction"].to_numpy() == a["prediction"].to_numpy() * 2).all()
    with pytest.raises(RelpoolError, match="not for the same examples"):
        aligned(network, baseline.assign(entity=baseline["entity"] + 1))
    with pytest.raises(RelpoolError, match="not for the same examples"):
        aligned(network, baseline.iloc[:4])


def test_best_weight_follows_the_better_member():
    truth = np.linspace(0, 1, 50)
    assert best_weight("regression", pd.Series(truth), truth, truth + 1) == 0.9
    assert best_weight("regression", pd.Series(truth), truth + 1, truth) == 0.1


def test_multiclass_and_link_tasks_are_not_blended():
    frame = pd.DataFrame({"entity": [1], "cutoff": [pd.Timestamp(0)], "label": ["a"], "prediction": ["a"]})
    assert blend("multiclass", {"val": frame, "test": frame}, {"val": frame, "test": frame}) is None
    assert blend("link", {"val": frame, "test": frame}, {"val": frame, "test": frame}) is None


def test_a_binary_blend_averages_log_odds_so_a_member_with_tiny_probabilities_still_counts():
    """The network ranks perfectly but its probabilities are 1000x smaller than the baseline's noisy ones: a
    probability average would be the baseline's ranking; the log-odds average keeps the network's share."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 400)
    network = 1e-4 * (1 + labels + rng.uniform(0, 0.5, 400))  # separates the classes, all below 3e-4
    baseline = np.clip(0.3 + 0.2 * labels + rng.normal(0, 0.3, 400), 0.01, 0.99)  # noisy
    result = blend("binary", *_split("binary", labels, network, baseline))
    assert result is not None and result.space == "logit" and result.metrics()["space"] == "logit"
    linear = result.weight * network + (1 - result.weight) * baseline
    assert result.val_tuned["auroc"] > roc_auc_score(labels, linear) + 0.05
    assert result.val["auroc"] > roc_auc_score(labels, baseline) + 0.05


def test_mix_in_log_odds_is_a_probability_between_its_members_and_linear_mix_is_the_weighted_average():
    from relpool.baselines.served_blend import mix

    a, b = np.array([1e-9, 0.2, 0.5, 1.0]), np.array([0.5, 0.8, 0.5, 0.9])
    mixed = mix(0.3, a, b, "logit")
    assert ((mixed > 0) & (mixed < 1)).all() and np.isfinite(mixed).all()
    assert ((mixed >= np.minimum(a, b) - 1e-12) & (mixed <= np.maximum(a, b) + 1e-12)).all()
    assert mixed[2] == pytest.approx(0.5) and mixed[1] == pytest.approx(1 / (1 + 4**-0.4))  # 0.3·log(1/4) + 0.7·log(4)
    assert mix(0.3, a, b, "linear") == pytest.approx(0.3 * a + 0.7 * b)

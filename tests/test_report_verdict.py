"""The report's verdict: bootstrap intervals that equal the kinds' own metrics on each resample, paired
differences with the right sign, and sentences that say when a lead may be noise."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from relpool.report.bootstrap import bootstrap
from relpool.report.verdict import difference_sentence, verdict_section
from relpool.report.weighted import weighted_metrics
from relpool.tasks import task_kind

CUTOFF = pd.Timestamp("2020-01-01")


def _frame(n: int, seed: int = 0, positive_rate: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"entity": np.arange(n), "cutoff": CUTOFF, "label": rng.random(n) < positive_rate})


def _scored(frame: pd.DataFrame, signal: float, seed: int) -> pd.DataFrame:
    """Probabilities that separate the labels by ``signal`` (0: chance), rounded so that ties occur."""
    noise = np.random.default_rng(seed).random(len(frame))
    return frame.assign(probability=np.clip(0.5 * noise + signal * frame["label"], 0, 1).round(2))


def _kind_case(kind: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame({"entity": rng.integers(0, n // 3, n), "cutoff": CUTOFF + pd.to_timedelta(np.arange(n), "D")})
    if kind == "binary":
        return _scored(frame.assign(label=rng.random(n) < 0.3), 0.3, 1)
    if kind == "regression":
        label = rng.normal(size=n)
        return frame.assign(label=label, prediction=label + rng.normal(size=n))
    if kind == "multiclass":
        return frame.assign(
            label=rng.choice(list("abcd"), n, p=[0.6, 0.3, 0.08, 0.02]), prediction=rng.choice(list("abe"), n)
        )
    return frame.assign(
        label=[list(rng.choice(8, rng.integers(1, 4), replace=False)) for _ in range(n)],
        top_k=[list(rng.permutation(8)[:3]) for _ in range(n)],
    )


@pytest.mark.parametrize("kind", ["binary", "regression", "multiclass", "link_prediction"])
def test_each_resample_scores_as_the_kind_scores_the_resampled_rows(kind):
    """The vectorised metrics on a resample's weights equal ``score`` on the rows drawn, duplicates and all."""
    rng = np.random.default_rng(7)
    frame, k = _kind_case(kind, 90, rng), 3
    column = task_kind(kind).column
    for _ in range(5):
        drawn = rng.integers(0, len(frame), len(frame))
        weights = np.bincount(drawn, minlength=len(frame)).astype(float)[None, :]
        fast = weighted_metrics(kind, frame, weights, k, 0.5)
        rows = frame.iloc[drawn].reset_index(drop=True)
        slow = task_kind(kind).score(rows["label"], rows[column], k)
        slow.pop("threshold", None)  # the setting F1 was scored at, not a metric to resample
        assert set(fast) == set(slow)
        for name, value in slow.items():
            assert fast[name][0] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_binary_f1_counts_positives_from_the_threshold_given():
    frame = pd.DataFrame({"label": [True, True, False, False], "probability": [0.9, 0.4, 0.35, 0.1]})
    ones = np.ones((1, 4))
    assert weighted_metrics("binary", frame, ones, None, 0.5)["f1"][0] == pytest.approx(2 / 3)  # 1 of 2 found
    assert weighted_metrics("binary", frame, ones, None, 0.3)["f1"][0] == pytest.approx(0.8)  # 2 found, 1 false


def test_intervals_hold_the_point_and_narrow_with_more_examples():
    widths = []
    for n in (150, 3000):
        frame = _scored(_frame(n), 0.25, 1)
        drawn = bootstrap("binary", {"GNN": frame}, None, {})
        point = task_kind("binary").score(frame["label"], frame["probability"], None)
        for metric in ("auroc", "average_precision", "f1"):
            low, high = drawn.interval("GNN", metric)
            assert low < point[metric] < high, (n, metric)
        low, high = drawn.interval("GNN", "auroc")
        widths.append(high - low)
    assert widths[1] < widths[0] / 2.5  # about sqrt(20) narrower


def test_the_bootstrap_is_seeded_and_fast_for_five_models_on_3000_examples():
    frame = _frame(3000, positive_rate=0.02)
    predictions = {f"model {i}": _scored(frame, 0.1 * i, i) for i in range(5)}
    started = time.perf_counter()
    once = bootstrap("binary", predictions, None, {})
    assert time.perf_counter() - started < 5  # 1000 resamples x 5 models; ~1 s on a busy shared core
    again = bootstrap("binary", predictions, None, {})
    assert once.resamples == 1000
    assert np.array_equal(once.draws["model 3"]["auroc"], again.draws["model 3"]["auroc"], equal_nan=True)


def test_the_paired_difference_has_the_sign_of_the_better_model():
    frame = _frame(400)
    good, poor = _scored(frame, 0.4, 1), _scored(frame, 0.05, 2)
    shuffled = poor.sample(frac=1, random_state=0)  # rows matched on (entity, cutoff), not position
    drawn = bootstrap("binary", {"good": good, "poor": shuffled}, None, {})
    low, high = drawn.difference("good", "poor", "auroc", lower_is_better=False)
    assert 0 < low < high
    low, high = drawn.difference("poor", "good", "auroc", lower_is_better=False)
    assert low < high < 0


def test_lower_is_better_differences_count_the_smaller_error_as_better():
    rng = np.random.default_rng(0)
    frame = _frame(300).assign(label=rng.normal(size=300))
    close = frame.assign(prediction=frame["label"] + rng.normal(scale=0.1, size=300))
    far = frame.assign(prediction=frame["label"] + rng.normal(scale=1.0, size=300))
    drawn = bootstrap("regression", {"close": close, "far": far}, None, {})
    assert drawn.difference("close", "far", "mae", lower_is_better=True)[0] > 0


def test_link_prediction_resamples_entities_with_all_their_rows():
    rng = np.random.default_rng(3)
    frame = _kind_case("link_prediction", 120, rng)
    drawn = bootstrap("link_prediction", {"GNN": frame}, 3, {})
    assert drawn.units == "entities"
    low, high = drawn.interval("GNN", "map@3")
    point = task_kind("link_prediction").score(frame["label"], frame["top_k"], 3)["map@3"]
    assert low <= point <= high


def test_a_lead_within_the_noise_is_not_a_clear_difference():
    frame = _frame(200)
    a, b = _scored(frame, 0.2, 1), _scored(frame, 0.2, 2)
    drawn = bootstrap("binary", {"autofeat baseline": a, "GNN": b}, None, {})
    points = {
        name: task_kind("binary").score(f["label"], f["probability"], None)
        for name, f in (("autofeat baseline", a), ("GNN", b))
    }
    leader, rival = sorted(points, key=lambda n: -points[n]["auroc"])
    low, high = drawn.difference(leader, rival, "auroc", False)
    assert low < 0 < high
    sentence = difference_sentence(drawn, leader, rival, points, "auroc", False)
    gap = points[leader]["auroc"] - points[rival]["auroc"]
    assert sentence.startswith(f"{leader} leads {rival} by {gap:.3f} AUROC on test (95% CI −")
    assert sentence.endswith(": not a clear difference.")


def test_a_clear_lead_is_called_one():
    frame = _frame(500)
    predictions = {"GNN": _scored(frame, 0.05, 1), "autofeat baseline": _scored(frame, 0.5, 2)}
    metrics = {"metric": "auroc", "val": {"auroc": 0.7}, "test": {"auroc": 0.7}, "pool": "mean", "n_train": 9}
    html = verdict_section("binary", None, metrics, {"autofeat": {**metrics, "val": {"auroc": 0.9}}}, predictions)
    assert "autofeat baseline leads GNN by " in html and ": a clear difference." in html
    assert "On validation, autofeat baseline scores best (0.9000 AUROC), ahead of GNN (0.7000)." in html
    assert "1,000 seeded bootstrap resamples of the 500 test examples" in html


def test_models_are_paired_on_the_same_examples_whatever_their_row_order():
    """Two models that differ on a few examples: the paired interval of their difference is far narrower
    than either model's own interval, which it would not be if the rows were matched by position."""
    frame = _frame(600)
    a = _scored(frame, 0.2, 1)
    b = a.assign(probability=a["probability"].where(np.arange(600) % 50 != 0, 0.5))
    drawn = bootstrap("binary", {"a": a, "b": b.sample(frac=1, random_state=1)}, None, {})
    own_low, own_high = drawn.interval("a", "auroc")
    low, high = drawn.difference("a", "b", "auroc", lower_is_better=False)
    assert high - low < (own_high - own_low) / 3

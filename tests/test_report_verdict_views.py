"""The report's new views: calibration and precision@k on hand-computed cases, the candidates a run lists
(or not), thresholds beside F1, the model's settings, the data warnings, and a whole page with each shape."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from relpool.db.inspection import inspect_database
from relpool.query.task import build_task
from relpool.report.build import write_report
from relpool.report.calibration import brier, calibration_error, precision_at, reliability, top_sizes
from relpool.report.candidates import candidates, model_label
from relpool.report.run_view import settings_section
from relpool.report.sections import metrics_section

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
IMAGE = re.compile(r'<img alt="([^"]+)" src="data:image/png;base64,')


def _metrics(val: float, test: float, **extra) -> dict:
    return {"val": {"auroc": val}, "test": {"auroc": test, "f1": 0.5}, "seconds": 2.0, **extra}


OLD = {
    "task_type": "binary",
    "metric": "auroc",
    "pool": "adaptive",
    "n_train": 120,
    "best_epoch": 2,
    "epochs_run": 2,
    "history": [{"epoch": e, "loss": 1 / e, "val": {"auroc": 0.6 + e / 10}} for e in (1, 2)],
    **_metrics(0.8, 0.75),
}
NEW = {
    **OLD,
    "chosen": "hybrid",
    "chosen_because": "it has the best validation AUROC",
    "models": {
        "gnn": _metrics(0.8, 0.75),
        "hybrid": {**_metrics(0.85, 0.7), "test": {"auroc": 0.7, "f1": 0.61, "threshold": 0.27}},
        "entity": _metrics(0.6, 0.9),
        "autofeat": _metrics(0.7, 0.72),
    },
}


def test_reliability_calibration_error_and_brier_by_hand():
    labels, probability = pd.Series([False, False, True, True]), pd.Series([0.1, 0.15, 0.8, 0.95])
    bins = reliability(labels, probability)
    assert bins["bin"].tolist() == [1, 8, 9] and bins["examples"].tolist() == [2, 1, 1]
    assert bins["mean_probability"].tolist() == pytest.approx([0.125, 0.8, 0.95])
    assert bins["positive_rate"].tolist() == [0, 1, 1] and bins["high"].tolist() == pytest.approx([0.2, 0.9, 1.0])
    assert calibration_error(bins) == pytest.approx((2 * 0.125 + 0.2 + 0.05) / 4)
    assert brier(labels, probability) == pytest.approx((0.01 + 0.0225 + 0.04 + 0.0025) / 4)
    assert reliability(pd.Series([True]), pd.Series([1.0]))["bin"].tolist() == [9]  # 1.0 in the last bin


def test_precision_at_k_by_hand_and_capped_by_the_split():
    labels, probability = pd.Series([1, 0, 1, 1, 0]), pd.Series([0.9, 0.8, 0.7, 0.6, 0.5])
    assert [precision_at(labels, probability, k) for k in (1, 2, 3, 5)] == pytest.approx([1, 0.5, 2 / 3, 0.6])
    assert top_sizes(5) == [5] and top_sizes(30) == [10, 30] and top_sizes(500) == [10, 50, 100]


def test_display_names_match_the_keys_old_callers_use():
    assert [model_label(n) for n in ("gnn", "hybrid", "entity", "autofeat")] == [
        "GNN",
        "hybrid GNN",
        "entity baseline",
        "autofeat baseline",
    ]
    assert list(candidates(OLD, {"entity": {}, "autofeat": {}})) == ["GNN", "entity baseline", "autofeat baseline"]
    assert list(candidates(NEW, {"entity": {}})) == ["GNN", "hybrid GNN", "entity baseline", "autofeat baseline"]


def test_the_metrics_table_marks_the_chosen_candidate_and_shows_f1_thresholds():
    html = metrics_section(NEW, {})
    bold = re.findall(r'<tr class="main"><td>([^<]+)</td>', html)
    assert bold == ["hybrid GNN"]  # chosen, though entity leads on test
    assert "0.6100 at threshold 0.27" in html and "test threshold" not in html
    assert "bold: the chosen model (it has the best validation AUROC)." in html
    old = metrics_section(OLD, {"entity": _metrics(0.6, 0.9, n_train=120)})
    assert re.findall(r'<tr class="main"><td>([^<]+)</td>', old) == ["entity baseline"]  # best test AUROC
    assert "GNN (adaptive pooling)" in old and "threshold" not in old


def test_settings_come_from_the_options_when_given_and_from_the_metrics_otherwise():
    options = {"pool": "sum", "channels": 32, "loop": {"fanout": [16, 8], "lr": 1e-5, "seed": 3}, "step": None}
    html = settings_section(OLD, options)
    for row in (
        '<td>channels</td><td class="num">32</td>',
        "<td>fanout</td><td>16,8</td>",
        "<td>lr</td><td>1e-05</td>",
    ):
        assert row in html
    assert "<td>step</td><td>automatic</td>" in html and "<td>best_epoch</td>" in html
    bare = settings_section(OLD, None)
    assert "<td>pool</td><td>adaptive</td>" in bare and "config.json" in bare and "channels" not in bare
    assert "<td>pool</td><td>mean</td>" in settings_section({**OLD, "options": {"pool": "mean"}}, None)


@pytest.fixture(scope="module")
def shop_task(shop_db):
    inspection = inspect_database(shop_db)
    return inspection, build_task(inspection, QUERY, "1 days")


def _predictions(task, names: list[str]) -> dict[str, pd.DataFrame]:
    test = task.tables["test"]
    rng = np.random.default_rng(0)
    return {n: test.assign(probability=np.clip(rng.random(len(test)) * 0.6 + 0.3 * test["label"], 0, 1)) for n in names}


@pytest.mark.parametrize("shape", ["old", "new"])
def test_the_page_renders_with_and_without_the_runs_candidates(shop_task, tmp_path, shape):
    inspection, task = shop_task
    task.warnings = ["the label is always false in the val examples (4): AUROC is undefined there (n/a)"]
    if shape == "new":
        names = ["hybrid GNN", "GNN", "entity baseline", "autofeat baseline"]
        path = write_report(tmp_path, inspection, task, NEW, _predictions(task, names), {}, options={"pool": "sum"})
    else:
        names = ["GNN", "entity baseline"]
        path = write_report(
            tmp_path, inspection, task, OLD, _predictions(task, names), {"entity": _metrics(0.6, 0.9, n_train=120)}
        )
    html = path.read_text()
    for heading in ("Data warnings", "Verdict", "Metrics", "Model settings", "Calibration and top of the list"):
        assert f"<h2>{heading}</h2>" in html
    verdict = html.split("<h2>Verdict</h2>")[1].split("</section>")[0]
    assert verdict.count("95% CI)</th>") == 3 and all(f"<td>{n}</td>" in verdict for n in names)
    assert " leads " in verdict and "difference" in verdict
    assert ("The run chose hybrid GNN: it has the best validation AUROC." in verdict) == (shape == "new")
    assert "the label is always false in the val examples" in html.split("<h2>Data warnings</h2>")[1]
    assert [alt for alt in IMAGE.findall(html)][-3:-1] == [
        "reliability diagram of every model",
        "predicted probabilities by label, per model",
    ]
    assert "<script" not in html and "http://" not in html and "https://" not in html

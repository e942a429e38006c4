"""`relpool fit` writes baselines and a report.html that stands alone; the page renders in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from rich.console import Console
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from relpool.cli import app
from relpool.report.fit_view import render_metrics
from relpool.report.sections import evaluation_section

QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
TINY = [
    "--channels",
    "16",
    "--fanout",
    "8,4",
    "--max-steps",
    "3",
    "--batch-size",
    "64",
    "--step",
    "1 days",
    "--epochs",
    "2",
    "--text-embedder",
    "hashing",
]
IMAGE = re.compile(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')
CHROMIUM = shutil.which("chromium")
PLOT_BLUE = (0x3B, 0x6D, 0xB3)  # the GNN's colour in every plot, and the schema boxes' edges


@pytest.fixture(scope="module")
def fitted(shop_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "model"
    result = CliRunner().invoke(app, ["fit", shop_db, QUERY, "--out", str(out), *TINY])
    assert result.exit_code == 0, result.stderr
    return out, result.stdout


def test_fit_writes_predictions_baselines_and_the_report(fitted):
    out, stdout = fitted
    assert f"report written to {out / 'report.html'}" in " ".join(stdout.split())
    test = pd.read_parquet(out / "predictions_test.parquet")
    assert list(test.columns) == ["entity", "cutoff", "label", "probability"]
    assert len(test) == json.loads((out / "metrics.json").read_text())["n_test"]
    for kind in ("entity", "autofeat"):
        metrics = json.loads((out / "baselines" / kind / "metrics.json").read_text())
        assert metrics["baseline"] == kind and metrics["task_type"] == "binary"
        assert (out / "baselines" / kind / "features.json").is_file()
        predicted = pd.read_parquet(out / "baselines" / kind / "predictions_test.parquet")
        assert predicted[["entity", "cutoff", "label"]].equals(test[["entity", "cutoff", "label"]])
        assert roc_auc_score(predicted["label"], predicted["probability"]) == pytest.approx(metrics["test"]["auroc"])


def test_report_stands_alone_with_every_section(fitted):
    html = (fitted[0] / "report.html").read_text()
    for heading in (
        "Task",
        "Data warnings",
        "Verdict",
        "Metrics",
        "Model settings",
        "Learning curves",
        "Test set",
        "Schema",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert "entity baseline" in html and "autofeat baseline" in html and "positive_rate" in html
    assert [alt for alt, _ in IMAGE.findall(html)] == [
        "training loss and validation metric per epoch",
        "ROC and precision-recall curves",
        "reliability diagram of every model",
        "predicted probabilities by label, per model",
        "entity-relationship diagram",
    ]
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_no_baselines_leaves_them_out(shop_db, tmp_path, run_cli):
    code, _, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "m", *TINY, "--no-baselines")
    assert code == 0, stderr
    assert not (tmp_path / "m" / "baselines").exists()
    html = (tmp_path / "m" / "report.html").read_text()
    assert "Baselines were not run (--no-baselines)." in html and "entity baseline" not in html


def _examples(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"entity": np.arange(n), "cutoff": pd.Timestamp("2020-01-01")}).assign(
        label=rng.random(n) < 0.4
    )


@pytest.mark.parametrize(
    "task_type, columns, alt",
    [
        ("binary", lambda f, r: {"probability": r.random(len(f))}, "ROC and precision-recall curves"),
        (
            "regression",
            lambda f, r: {"label": r.normal(size=len(f)), "prediction": r.normal(size=len(f))},
            "predicted vs actual, residuals, and the share of examples within each error",
        ),
        (
            "multiclass",
            lambda f, r: {"label": r.choice(list("abc"), len(f)), "prediction": r.choice(list("abd"), len(f))},
            "confusion matrix of the GNN",
        ),
        (
            "link_prediction",
            lambda f, r: {
                "label": [list(r.choice(9, 2)) for _ in range(len(f))],
                "top_k": [list(r.permutation(9)[:3]) for _ in range(len(f))],
            },
            "MAP, recall and hit rate by list length",
        ),
    ],
)
def test_each_task_type_gets_its_test_set_plot(task_type, columns, alt):
    frame = _examples()
    gnn = frame.assign(**columns(frame, np.random.default_rng(1)))
    baseline = gnn.assign(**{k: v for k, v in columns(frame, np.random.default_rng(2)).items() if k != "label"})
    alone = IMAGE.findall(evaluation_section(task_type, {"GNN": gnn}, k=3))
    both = IMAGE.findall(evaluation_section(task_type, {"GNN": gnn, "entity baseline": baseline}, k=3))
    assert [a for a, _ in alone] == [a for a, _ in both] == [alt] and len(alone[0][1]) > 1000
    assert (alone[0][1] == both[0][1]) == (task_type == "multiclass")  # every other plot draws the baseline too


def test_one_class_test_split_says_why_there_are_no_curves():
    frame = _examples().assign(label=False, probability=0.3)
    html = evaluation_section("binary", {"GNN": frame}, k=None)
    assert "one class only" in html and "<img" not in html


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(fitted, tmp_path):
    """The DOM holds every image with its data, the screenshot shows the plots, the console has no errors."""
    page = (fitted[0] / "report.html").resolve().as_uri()
    base = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ]
    dom = subprocess.run(
        [*base, f"--user-data-dir={tmp_path / 'dom'}", "--dump-dom", page], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert len(IMAGE.findall(dom.stdout)) == 5 and "<h2>Schema</h2>" in dom.stdout
    shot = tmp_path / "report.png"
    screenshot = subprocess.run(
        [*base, f"--user-data-dir={tmp_path / 'shot'}", "--window-size=1200,3200", f"--screenshot={shot}", page],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert screenshot.returncode == 0 and shot.is_file(), screenshot.stderr[-2000:]
    for log in (dom.stderr, screenshot.stderr):
        assert not [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line], log[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3).astype(int)
    blue = (np.abs(pixels - PLOT_BLUE).sum(axis=1) < 30).sum()
    assert (pixels.sum(axis=1) < 600).mean() > 0.02, "the page looks blank"
    assert blue > 2000, f"only {blue} pixels of the plots' blue: the images did not render"


@pytest.mark.parametrize(("best", "run", "hinted"), [(3, 3, True), (2, 3, False), (1, 1, False)])
def test_the_fit_summary_says_when_more_epochs_may_help(best, run, hinted):
    metrics = {
        "task_type": "binary",
        "pool": "mean",
        "best_epoch": best,
        "epochs_run": run,
        "seconds": 1.0,
        "metric": "auroc",
        "val": {"auroc": 0.7},
        "test": {"auroc": 0.6},
    }
    console = Console(record=True, width=200)
    render_metrics(metrics, Path("m"), console)
    assert ("was still improving at the last epoch" in console.export_text()) == hinted


def test_the_report_says_what_the_model_relies_on(fitted):
    """Table and column shares of the GNN's explanations beside autofeat's SHAP values by table, and five
    example explanations, as HTML tables (no extra image)."""
    html = (fitted[0] / "report.html").read_text()
    assert "<h2>What the model relies on</h2>" in html
    part = html.split("<h2>What the model relies on</h2>")[1].split("</section>")[0]
    assert "GNN attribution share" in part and "autofeat SHAP share" in part
    n_test = json.loads((fitted[0] / "metrics.json").read_text())["n_test"]
    assert f"averaged over {min(100, n_test):,} seeded test examples" in part
    for title in ("most confident positive", "most confident negative", "worst error", "second worst error", "random"):
        assert f"<p>{title}: " in part
    shares = [
        float(v)
        for v in re.findall(
            r'<td>(?:customers|transactions|products|stores|daily)</td><td class="num">([0-9.]+)</td>', part
        )
    ]
    assert shares and sum(shares) == pytest.approx(1, abs=1e-3)
    assert "<img" not in part

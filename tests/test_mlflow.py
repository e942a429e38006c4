"""fit --mlflow: one run per fit in a local file store, with the options, the per-epoch history, every
model's metrics, the choice and the artifacts; the model loads back from it and predicts the same; a failed
fit ends its run FAILED; RELPOOL_MLFLOW_URI turns logging on; without MLflow, one sentence says what to install."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

import relpool
from relpool.cli import app
from relpool.encode.text import HashingEmbedder
from relpool.errors import RelpoolError
from relpool.synth.build import generate
from relpool.synth.spec import SynthSpec
from relpool.tracking.mlflow_client import shown_database, tracking_uri

MlflowClient = pytest.importorskip("mlflow").MlflowClient  # the optional extra; `make setup` installs it

TINY = dict(channels=8, fanout=(2, 1), epochs=2, max_steps=2, batch_size=16, text_embedder=HashingEmbedder(8))


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> tuple[str, str]:
    """A synthetic shop database (relpool synth) and its query."""
    folder = tmp_path_factory.mktemp("synth") / "db"
    truth = generate(SynthSpec(entities=60, rows_per_entity=10, snr=0.5, seed=1), folder)
    return str(folder / truth["database"]), truth["query"]


@pytest.fixture(scope="module")
def logged(shop, tmp_path_factory):
    """One `relpool fit --mlflow-uri` (the report, the baselines) to a file store: (store URI, run, model directory)."""
    db, query = shop
    root = tmp_path_factory.mktemp("mlflow")
    store = (root / "mlruns").as_uri()
    tiny = ["--channels", "8", "--fanout", "2,1", "--epochs", "2", "--max-steps", "2", "--batch-size", "16"]
    args = ["fit", db, query, "--out", str(root / "model"), "--text-embedder", "hashing", "--mlflow-uri", store]
    result = CliRunner().invoke(app, [*args, *tiny])
    assert result.exit_code == 0, result.output
    run = _only_run(store)
    assert f"runs:/{run.info.run_id}/model" in result.output
    return store, run, root / "model"


def _only_run(store: str):
    client = MlflowClient(store)
    runs = client.search_runs([client.get_experiment_by_name("relpool").experiment_id])
    assert len(runs) == 1
    return runs[0]


def test_the_run_holds_the_options_the_task_and_the_choice(logged, shop):
    store, run, out = logged
    metrics = json.loads((out / "metrics.json").read_text())
    config = json.loads((out / "config.json").read_text())
    params, tags = run.data.params, run.data.tags
    assert run.info.status == "FINISHED"
    assert params["task.query"] == shop[1] and params["task.kind"] == "binary" and params["task.metric"] == "auroc"
    assert params["pool"] == config["options"]["pool"] and params["loop.fanout"] == "2,1"
    assert params["epochs"] == "2" and params["text_embedder"] == "hashing"
    assert tags["relpool.chosen"] == metrics["chosen"] and tags["relpool.chosen_because"] == metrics["chosen_because"]
    assert tags["relpool.database"] == shop[0] and tags["relpool.version"]


def test_every_epoch_and_every_model_s_final_metrics_are_logged(logged):
    store, run, out = logged
    metrics = json.loads((out / "metrics.json").read_text())
    client = MlflowClient(store)
    history = metrics["history"]
    assert len(history) == 2
    for key, expected in (
        ("train_loss", [e["loss"] for e in history]),
        ("val_auroc", [e["val"]["auroc"] for e in history]),
    ):
        logged_steps = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, key))
        assert logged_steps == [(e["epoch"], pytest.approx(v)) for e, v in zip(history, expected)]
    assert set(metrics["models"]) == {"hybrid", "entity", "autofeat", "blend"}
    for name, scores in metrics["models"].items():
        for split in ("val", "test"):
            assert run.data.metrics[f"{name}.{split}_auroc"] == pytest.approx(scores[split]["auroc"])
    assert run.data.metrics["chosen.test_auroc"] == pytest.approx(metrics["test"]["auroc"])


def test_the_model_directory_and_the_report_are_artifacts(logged):
    store, run, out = logged
    client = MlflowClient(store)
    top = {a.path for a in client.list_artifacts(run.info.run_id)}
    model = {a.path.removeprefix("model/") for a in client.list_artifacts(run.info.run_id, "model")}
    assert top == {"model", "report.html"}
    assert {"config.json", "model.safetensors", "metrics.json", "baselines"} <= model
    assert "checkpoint" not in model and "report.html" not in model
    assert (out / "checkpoint").is_dir()  # left out on purpose: only --resume reads it


def test_the_logged_model_loads_back_and_predicts_the_same(logged, shop, tmp_path, monkeypatch, runner):
    store, run, out = logged
    db = shop[0]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    expected = relpool.Model.load(out).predict(db)
    by_run = relpool.Model.load(f"runs:/{run.info.run_id}/model", tracking_uri=store)
    assert by_run.folder.is_relative_to(tmp_path / "cache")
    pd.testing.assert_frame_equal(by_run.predict(db), expected)
    assert relpool.Model.from_mlflow(run.info.run_id, tracking_uri=store).folder == by_run.folder  # cached

    client = MlflowClient(store, registry_uri=store)
    client.create_registered_model("late-shoppers")
    version = client.create_model_version("late-shoppers", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    by_name = relpool.Model.load(f"models:/late-shoppers/{version.version}", tracking_uri=store)
    pd.testing.assert_frame_equal(by_name.predict(db), expected)

    monkeypatch.setenv("RELPOOL_MLFLOW_URI", store)  # the CLI's store, as for fit
    result = runner.invoke(app, ["predict", f"runs:/{run.info.run_id}/model", db, "--out", str(tmp_path / "p.parquet")])
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(tmp_path / "p.parquet")  # beside the predictions: model_id and created_at
    assert written["model_id"].eq(by_run.id).all()
    pd.testing.assert_frame_equal(written[list(expected.columns)], expected)


def test_a_failed_fit_ends_its_run_failed_with_nothing_logged_but_its_options(shop, tmp_path):
    db, query = shop
    store = (tmp_path / "mlruns").as_uri()
    with pytest.raises(RelpoolError, match="no_such_column"):
        relpool.fit(db, query.replace("sessions.kind", "sessions.no_such_column"), tmp_path / "m", mlflow=store, **TINY)
    run = _only_run(store)
    assert run.info.status == "FAILED"
    assert "no_such_column" in run.data.params["task.query"] and not run.data.metrics
    assert MlflowClient(store).list_artifacts(run.info.run_id) == []
    assert not (tmp_path / "m").exists()
    with pytest.raises(RelpoolError, match="cannot download"):
        relpool.Model.load(f"runs:/{run.info.run_id}/model", tracking_uri=store)


def test_ctrl_c_ends_the_run_killed(shop, tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("relpool.train.fit.build_task", interrupt)
    store = (tmp_path / "mlruns").as_uri()
    with pytest.raises(KeyboardInterrupt):
        relpool.fit(*shop, tmp_path / "m", mlflow=store, **TINY)
    assert _only_run(store).info.status == "KILLED"


def test_the_environment_variable_turns_logging_on_and_false_keeps_it_off(shop, tmp_path, monkeypatch):
    db, query = shop
    bad = query.replace("sessions.kind", "sessions.no_such_column")  # fails at once, after the run started
    monkeypatch.setenv("RELPOOL_MLFLOW_URI", str(tmp_path / "env-store"))
    with pytest.raises(RelpoolError):
        relpool.fit(db, bad, tmp_path / "m", mlflow=False, **TINY)
    assert not (tmp_path / "env-store").exists()
    with pytest.raises(RelpoolError):
        relpool.fit(db, bad, tmp_path / "m", **TINY)
    assert _only_run((tmp_path / "env-store").as_uri()).info.status == "FAILED"


def test_without_mlflow_installed_one_sentence_names_the_extra(shop, tmp_path, monkeypatch, runner):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    db, query = shop
    with pytest.raises(RelpoolError, match=r"--mlflow needs MLflow.*pip install 'relpool\[mlflow\]'"):
        relpool.fit(db, query, tmp_path / "m", mlflow=True, **TINY)
    with pytest.raises(RelpoolError, match=r"pip install 'relpool\[mlflow\]'"):
        relpool.Model.load("runs:/0123/model")
    result = runner.invoke(app, ["fit", db, query, "--out", str(tmp_path / "m"), "--mlflow"])
    assert result.exit_code == 2 and "pip install 'relpool[mlflow]'" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


def test_the_default_store_is_mlruns_here_and_passwords_never_reach_a_tag(tmp_path, monkeypatch):
    monkeypatch.delenv("RELPOOL_MLFLOW_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert tracking_uri() == (tmp_path / "mlruns").resolve().as_uri()
    assert tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    shown = shown_database("postgresql://analyst:s3cr%40t@db.example:5432/flights?schema=public")
    assert shown == "postgresql://analyst:***@db.example:5432/flights?schema=public"
    assert shown_database("/data/shop.sqlite") == "/data/shop.sqlite"

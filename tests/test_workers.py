"""Data-parallel training (``fit --workers N``, torchrun): real gloo process groups over localhost.

Exactness: with most-recent neighbour sampling and no dropout nothing random differs between workers,
so 2 workers with batch B must reach the weights of 1 worker with batch 2B (the global batch of a step is
the union of the workers' parts; DDP averages the gradients of their mean losses).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import psutil
import pytest
import torch

import relpool
from relpool.errors import RelpoolError
from relpool.nn.model import ModelSpec
from relpool.train import distributed, training_data
from relpool.train.checkpoint import load_json, load_tensors

DB = str(Path(__file__).parent / "fixtures" / "golden" / "db")
QUERY = "PREDICT COUNT(transactions.*, 0, 3, days) > 0 FOR EACH customers.customer_id"
SETTINGS = dict(channels=8, fanout=(4, 2), strategy="recent", epochs=2, max_steps=3, step="1 days", seed=7)
CLI = ["fit", DB, QUERY, "--channels", "8", "--fanout", "4,2", "--step", "1 days", "--seed", "7", "--budget", "0"]
CLI += ["--text-embedder", "hashing", "--no-baselines", "--no-features", "--max-steps", "3"]
SRC = str(Path(relpool.__file__).parent.parent)


def _fit(out: Path, batch_size: int, workers: int) -> dict[str, torch.Tensor]:
    relpool.fit(
        DB, QUERY, out, batch_size=batch_size, workers=workers, features=False, text_embedder="hashing", **SETTINGS
    )
    return load_tensors(out / "model.safetensors")


def _largest_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


@pytest.fixture(scope="module")
def one_worker_double_batch(tmp_path_factory) -> dict[str, torch.Tensor]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training_data, "ModelSpec", partial(ModelSpec, dropout=0.0))
        return _fit(tmp_path_factory.mktemp("one") / "model", 32, 1)


def test_two_workers_reach_the_weights_of_one_worker_with_the_doubled_batch(
    one_worker_double_batch, tmp_path, monkeypatch
):
    monkeypatch.setattr(training_data, "ModelSpec", partial(ModelSpec, dropout=0.0))
    two = _fit(tmp_path / "two", 16, 2)
    half = _fit(tmp_path / "half", 16, 1)
    assert _largest_difference(one_worker_double_batch, two) < 1e-4
    assert _largest_difference(one_worker_double_batch, half) > 1e-3  # the batch size matters: the test can fail
    metrics = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and len(metrics["history"]) == 2


def test_torchrun_runs_the_same_training_as_the_workers_it_starts_itself(one_worker_double_batch, tmp_path):
    """Two ranks under torchrun (each reads the database; rank 0 writes the model) train as --workers 2."""
    script = tmp_path / "run.py"
    script.write_text(
        "from functools import partial\n"
        "from relpool.nn.model import ModelSpec\n"
        "from relpool.train import training_data\n"
        "training_data.ModelSpec = partial(ModelSpec, dropout=0.0)\n"
        "from relpool.cli import app\n"
        "app(prog_name='relpool')\n"
    )
    out = tmp_path / "model"
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2"]
    command += ["--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{distributed.free_port()}", str(script)]
    command += CLI + ["--out", str(out), "--batch-size", "16", "--epochs", "2", "--strategy", "recent"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    assert _largest_difference(one_worker_double_batch, load_tensors(out / "model.safetensors")) < 1e-4
    assert done.stdout.count("report written") == 1  # rank 0 alone writes and prints


def test_a_killed_worker_ends_the_run_with_one_error_and_a_checkpoint_resume_continues(tmp_path):
    out = tmp_path / "model"
    state = tmp_path / ".model.partial" / "checkpoint" / "state.json"
    command = [sys.executable, "-m", "relpool", *CLI, "--out", str(out), "--workers", "2", "--batch-size", "16"]
    log = (tmp_path / "stderr.txt").open("w")
    run = subprocess.Popen([*command, "--epochs", "200", "--patience", "200"], stderr=log, env=_env())
    try:
        _wait_for(lambda: state.is_file() or run.poll() is not None, 300)
        workers = [p for p in psutil.Process(run.pid).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
        assert len(workers) == 2
        sorted(workers, key=lambda p: p.create_time())[1].kill()  # rank 1
        code = run.wait(timeout=120)  # ends, does not hang
    finally:
        if run.poll() is None:
            run.kill()
    lines = [line for line in (tmp_path / "stderr.txt").read_text().splitlines() if line.strip()]
    assert code == 2
    assert lines[-1].startswith("error: training worker 1 of 2 was killed by SIGKILL")
    assert "--resume" in lines[-1] and "Traceback" not in "\n".join(lines)
    saved = load_json(state)
    for name in (f"model-{saved['epoch']}", f"optimizer-{saved['epoch']}", f"best-{saved['best_epoch']}"):
        load_tensors(state.parent / f"{name}.safetensors")  # every file state.json names is whole
    epochs = saved["epoch"] + 1
    resumed = subprocess.run(
        [*command, "--resume", "--epochs", str(epochs)], capture_output=True, text=True, env=_env()
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming after epoch {saved['epoch']}" in resumed.stderr
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == epochs


def test_workers_must_be_a_positive_whole_number(tmp_path):
    with pytest.raises(RelpoolError, match="--workers must be a whole number >= 1, got 0"):
        relpool.fit(DB, QUERY, tmp_path / "m", workers=0)
    assert not (tmp_path / "m").exists()


def test_the_torchrun_environment_names_the_group(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.from_environment() is None
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    group = distributed.from_environment()
    assert group == distributed.Group(3, 4, 1, 2) and not group.main
    assert distributed.threads_per_worker(group, 64) == max(1, (psutil.cpu_count() or 1) // 2)


def _env() -> dict:
    import os

    return {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"}


def _wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)

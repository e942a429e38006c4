"""What ``--mlflow`` adds to a fit, and what loading a model back from MLflow costs.

A synthetic shop (``relpool synth``) is fitted once (hashing text, a short budget, no report), timed; then,
``--repeats`` times, the finished model directory is logged to a fresh local file store (the run created,
params, metrics, artifacts: what ``fit --mlflow`` does around the fit), loaded back with
``Model.load("runs:/<id>/model")`` into an empty cache (a download) and again (a cache hit). The median
of each is set against the fit. Writes bench/results/mlflow.json.

    python bench/mlflow_overhead.py [--entities 400] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mib, versions, write_result  # noqa: E402

import relpool  # noqa: E402
from relpool.encode.text import HashingEmbedder  # noqa: E402
from relpool.synth.build import generate  # noqa: E402
from relpool.synth.spec import SynthSpec  # noqa: E402
from relpool.tracking import fit_log  # noqa: E402


def folder_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and "checkpoint" not in p.parts) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch
    from rich.console import Console

    torch.set_num_threads(1)
    quiet = Console(quiet=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(root / "cache")
        truth = generate(SynthSpec(entities=args.entities, rows_per_entity=20, snr=0.5, seed=0), root / "db")
        db, query, out = str(root / "db" / truth["database"]), truth["query"], root / "model"
        started = time.perf_counter()
        relpool.fit(db, query, out, text_embedder=HashingEmbedder(), epochs=2, max_steps=5, console=quiet)
        fit_seconds = time.perf_counter() - started
        log, download, cached = [], [], []
        for i in range(args.repeats):
            store = (root / f"mlruns{i}").as_uri()
            started = time.perf_counter()
            with fit_log(store, db, query, {"pool": "adaptive"}, out, quiet) as run_id:
                pass  # the model directory is already complete: this times the logging alone
            log.append(time.perf_counter() - started)
            for times in (download, cached):
                started = time.perf_counter()
                relpool.Model.load(f"runs:/{run_id}/model", tracking_uri=store)
                times.append(time.perf_counter() - started)
        result = {
            "machine": machine(),
            "versions": versions("mlflow-skinny"),
            "entities": args.entities,
            "model_mib": round(folder_mib(out), 2),
            "fit_seconds": round(fit_seconds, 2),
            "log_seconds": [round(s, 3) for s in log],
            "load_download_seconds": [round(s, 3) for s in download],
            "load_cached_seconds": [round(s, 3) for s in cached],
            "log_over_fit": round(statistics.median(log) / fit_seconds, 4),
            "peak_rss_mib": round(peak_rss_mib()),
        }
    print(result)
    print(f"written {write_result('mlflow', result)}")


if __name__ == "__main__":
    main()

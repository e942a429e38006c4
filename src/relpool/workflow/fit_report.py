"""Train, then compare and report on exactly that run: the baselines get the GNN's own inspection and
task (not a second read of the database), and the report draws the results it is handed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

from relpool.baselines.served_blend import save_blend
from relpool.db.inspection import Inspection
from relpool.query.task import Task
from relpool.report.build import write_report
from relpool.report.candidates import model_label
from relpool.train import distributed
from relpool.train.checkpoint import load_json, save_json
from relpool.train.explain_rows import plain
from relpool.train.fit import fit
from relpool.train.fit_options import FitOptions
from relpool.train.predict import Model
from relpool.train.training_data import FitRun
from relpool.workflow.baselines import run_baselines
from relpool.workflow.blend import Blend, blend
from relpool.workflow.candidates import CANDIDATES, budget_minutes, train_candidates
from relpool.workflow.comparison import choose, model_name


def fit_and_report(
    db,
    query: str,
    out: str | Path,
    options: FitOptions,
    *,
    schema=None,
    resume: bool = False,
    force: bool = False,
    text_embedder=None,
    baselines: bool = True,
    console: Console | None = None,
    inspection: Inspection | None = None,
    task: Task | None = None,
    budget: float | None = None,
    report: bool = True,
    device: str = "cpu",
    workers: int = 1,
) -> dict:
    """:func:`relpool.train.fit.fit`, then the candidate networks that fit in ``budget`` minutes (None: the
    default, 0: none; :mod:`relpool.workflow.candidates`), then with ``report`` the baselines (unless
    ``baselines`` is False) and report.html, all written into the folder being built, so ``out`` appears only
    once all of it is there; returns the metrics."""
    console = console or Console(stderr=True)
    minutes = budget_minutes(budget) if distributed.from_environment() is None else 0.0  # torchrun: one network

    def finish(folder: Path, run: FitRun) -> None:
        networks = None
        if minutes > 0:
            networks = train_candidates(
                folder, run, db, query, options, minutes, console, text_embedder, device=device, workers=workers
            )
        if report:
            report_run(folder, run, options.loop.seed, console, baselines, Path(out), networks)
        elif networks is not None and len(networks) > 1:  # the networks compared, without the baselines
            choose(run.metrics, {}, networks)
            save_json(folder / "metrics.json", run.metrics)

    return fit(
        db,
        query,
        out,
        options,
        schema=schema,
        resume=resume,
        console=console,
        text_embedder=text_embedder,
        force=force,
        finish=finish,
        inspection=inspection,
        task=task,
        device=device,
        workers=workers,
    )


def report_run(
    folder: Path,
    run: FitRun,
    seed: int,
    console: Console,
    baselines: bool = True,
    shown_as: Path | None = None,
    networks: dict[str, dict] | None = None,
) -> Path:
    """Run the baselines on the run's task into ``folder``/baselines/, then write ``folder``/report.html
    from the run, its test predictions (the file training wrote) and the baselines' results; return its path.
    ``shown_as``: the folder to name in messages, when ``folder`` is a staging folder renamed there later.
    ``networks``: every network trained (:func:`~relpool.workflow.candidates.train_candidates`), the served first."""
    compared = (
        run_baselines(run.inspection, run.task, folder, seed, console, shown_as or folder, run.features)
        if baselines
        else {}
    )
    own = pd.read_parquet(folder / "predictions_test.parquet")
    mixed = blend_with_autofeat(folder, run.metrics["task_type"], own, compared)
    choose(run.metrics, compared, networks, mixed.metrics() if mixed else None)
    save_json(folder / "metrics.json", run.metrics)
    if mixed is not None:  # the autofeat member's model file is the one run_baselines wrote
        member = load_json(folder / "baselines" / "autofeat" / "served.json")["model_sha256"]
        save_blend(folder, mixed.weight, run.metrics["task_type"], member, mixed.metrics())
    others = {
        n: pd.read_parquet(folder / CANDIDATES / n / "predictions_test.parquet") for n in list(networks or {})[1:]
    }
    tested = {
        model_name(run.metrics): own,
        **others,
        **{kind: result.test_predictions for kind, result in compared.items()},
        **({"blend": mixed.test_predictions} if mixed else {}),
    }
    chosen = run.metrics["chosen"]
    predictions = {model_label(n): tested[n] for n in sorted(tested, key=lambda n: n != chosen)}  # the chosen first
    with console.status("Explaining test predictions for the report…"):
        reliance = reliance_of(folder, run, own, compared, seed)
    with console.status("Drawing the report…"):
        return write_report(
            folder,
            run.inspection,
            run.task,
            run.metrics,
            predictions,
            {kind: result.metrics for kind, result in compared.items()},
            reliance,
            load_json(folder / "config.json")["options"],
        )


def blend_with_autofeat(folder: Path, task_type: str, test: pd.DataFrame, compared: dict) -> Blend | None:
    """The served network's blend with the autofeat baseline (:mod:`relpool.workflow.blend`), when both have
    validation predictions and the baseline is servable; None otherwise."""
    autofeat = compared.get("autofeat")
    val = folder / "predictions_val.parquet"
    if autofeat is None or autofeat.served is None or not val.is_file():
        return None
    network = {"val": pd.read_parquet(val), "test": test}
    return blend(task_type, network, {"val": autofeat.val_predictions, "test": autofeat.test_predictions})


SAMPLE = 100
"""Test examples (seeded) whose explanations are averaged into the report's global view."""


def reliance_of(folder: Path, run: FitRun, test: pd.DataFrame, compared: dict, seed: int) -> dict | None:
    """What the report's "What the model relies on" draws: the trained model in ``folder`` explains a seeded
    sample of the test examples and five chosen ones (on the run's own inspection: nothing read again); the
    autofeat baseline's SHAP values by table go beside. None without test examples."""
    if test.empty:
        return None
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(test), min(SAMPLE, len(test)), replace=False))
    model = Model.load(folder)
    cases = _cases(test, model.kind.column, model.kind.plots, rng)
    picked = np.unique(np.concatenate([sample, [i for _, i in cases]]).astype(np.int64))
    explained = model.explain_examples(run.inspection, test.iloc[picked][["entity", "cutoff"]].reset_index(drop=True))
    at = {int(i): j for j, i in enumerate(picked)}
    rows = [at[int(i)] for i in sample]
    gnn = explained.tables.iloc[rows].mean()
    columns = explained.columns.iloc[rows].mean().sort_values(ascending=False, kind="stable")
    autofeat = {c["table"]: c["share"] for c in compared["autofeat"].contributions} if "autofeat" in compared else {}
    names = sorted(set(gnn.index) | set(autofeat), key=lambda t: (-float(gnn.get(t, 0.0)), t))
    predicted = model.kind.predictions(explained.outputs, model.targets, model.k)
    return {
        "examples": len(sample),
        "tables": [{"table": t, "gnn": float(gnn.get(t, 0.0)), "autofeat": autofeat.get(t)} for t in names],
        "columns": [{"table": t, "column": c, "score": float(v)} for (t, c), v in columns.items()],
        "cases": [
            {
                "title": title,
                "entity": plain(test["entity"].iloc[i]),
                "cutoff": pd.Timestamp(test["cutoff"].iloc[i]).isoformat(),
                "label": plain(test["label"].iloc[i]),
                "prediction": plain(predicted[model.kind.column].iloc[at[i]]),
                "rows": explained.rows[at[i]],
            }
            for title, i in cases
        ],
    }


def _cases(test: pd.DataFrame, column: str, plots: str, rng: np.random.Generator) -> list[tuple[str, int]]:
    """Five examples worth showing: binary the most confident positive and negative, regression the largest
    and smallest prediction, multiclass the most and least confident; then the two worst errors and one at
    random (link prediction: five at random)."""
    order: list[tuple[str, np.ndarray]] = []
    if plots != "ranking":
        label = pd.to_numeric(test["label"], errors="coerce").to_numpy(dtype=float) if plots != "confusion" else None
        if plots == "confusion":
            confidence = test["probability"].to_numpy(dtype=float)
            error = np.where(test["prediction"] != test["label"], confidence, -np.inf)
            order += [("most confident", np.argsort(-confidence)), ("least confident", np.argsort(confidence))]
        else:
            value = test[column].to_numpy(dtype=float)
            high, low = (
                ("most confident positive", "most confident negative")
                if plots == "roc"
                else (
                    "largest prediction",
                    "smallest prediction",
                )
            )
            order += [(high, np.argsort(-value, kind="stable")), (low, np.argsort(value, kind="stable"))]
            assert label is not None
            error = np.nan_to_num(np.abs(label - value), nan=-np.inf)
        worst = np.argsort(-error, kind="stable")
        order += [("worst error", worst), ("second worst error", worst)]
    order += [("random", rng.permutation(len(test)))] * (5 - len(order))
    chosen: list[tuple[str, int]] = []
    for title, ranked in order:
        pick = next((int(i) for i in ranked if int(i) not in {c for _, c in chosen}), None)
        if pick is not None:
            chosen.append((title, pick))
    return chosen

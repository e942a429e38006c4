"""The Python API, mirroring the CLI: ``relpool.fit(db, query, out, ...)``, ``relpool.Model`` and
``relpool.write_predictions(frame, target, ...)`` (``relpool predict --out``'s writers).

Arguments are checked here, before any data is read, with the messages the CLI gives; the defaults are
the CLI's (:data:`relpool.train.options.DEFAULTS`), so both train the same model.
"""

from __future__ import annotations

from pathlib import Path

from relpool.sinks import write_predictions
from relpool.tracking import fit_log
from relpool.train import distributed
from relpool.train.options import DEFAULTS, FitSettings
from relpool.train.predict import Model
from relpool.train.prepared_cache import using_cache

D = DEFAULTS
__all__ = ["Model", "fit", "using_cache", "write_predictions"]


def fit(
    db,
    query: str,
    out: str | Path,
    *,
    pool: str = D.pool,
    pool_query: str = D.pool_query,
    pool_options: dict | list[str] | None = None,
    layers: int = D.layers,
    channels: int = D.channels,
    fanout: tuple[int, ...] | str = D.fanout,
    strategy: str = D.strategy,
    history_window: str | None = D.history_window,
    epochs: int = D.epochs,
    patience: int = D.patience,
    features: bool = D.features,
    batch_size: int = D.batch_size,
    max_steps: int = D.max_steps,
    lr: float = D.lr,
    seed: int = D.seed,
    schema=None,
    step: str | None = D.step,
    val_at: str | None = D.val_at,
    test_at: str | None = D.test_at,
    resume: bool = False,
    force: bool = False,
    text_embedder=D.text_embedder,
    report: bool = False,
    baselines: bool = True,
    mlflow: bool | str | None = None,
    budget: float | None = None,
    console=None,
    device: str = "cpu",
    workers: int = 1,
    cache: str | Path | None = None,
) -> Model | None:
    """Train a relational GNN for ``query`` on ``db``; write the model directory ``out``; return the model.

    ``out`` may be new or empty; an earlier model there is continued with ``resume`` or replaced with
    ``force``. ``text_embedder``: "minilm" (default), "hashing", or an embedder object. ``report`` also
    writes ``out/report.html`` (with the baselines unless ``baselines=False``), as ``relpool fit`` does.
    ``budget``: minutes for the candidate networks tried after the default one, the best on validation served
    (None: 10, fit's default; 0: the default network alone; :mod:`relpool.workflow.candidates`).
    ``mlflow``: True logs the run to MLflow's default store here (./mlruns), a tracking URI logs it there,
    False never; None (default) logs only when ``RELPOOL_MLFLOW_URI`` names a store.
    ``pool_query``: what attention pools query with ("state", "input": the target's layer-0 input, "both");
    ``history_window``: e.g. "7 days": an entity's histories are sampled from that span before each cutoff
    only (parents and tables without time whatever their age); None (default): from every visible row.
    ``pool_options``: the pool's keyword arguments (a dict, or ``relpool fit --pool-option``'s KEY=VALUE texts);
    the adaptive pool gets ``heads=4`` unless they set it.
    ``device``: cpu, cuda or auto; ``workers``: data-parallel training processes on this machine. Under
    torchrun every rank calls this; rank 0 writes ``out``, the others return None. ``cache``: a folder where
    the prepared graph and encoded columns are kept memory-mapped and reused by the next fit or prediction on
    the unchanged database (default: ``RELPOOL_CACHE``; :func:`using_cache` scopes one for ``Model`` calls).
    """
    settings = FitSettings(
        pool=pool,
        pool_query=pool_query,
        pool_options=pool_options or {},
        layers=layers,
        channels=channels,
        fanout=fanout,
        strategy=strategy,
        history_window=history_window,
        epochs=epochs,
        patience=patience,
        features=features,
        batch_size=batch_size,
        max_steps=max_steps,
        lr=lr,
        seed=seed,
        step=step,
        val_at=val_at,
        test_at=test_at,
        text_embedder=text_embedder,
    )
    options, embedder = settings.build(db, query, out)
    embedder_name = text_embedder if isinstance(text_embedder, str) else type(text_embedder).__name__
    with (
        using_cache(cache),
        fit_log(mlflow, db, query, {**options.to_dict(), "text_embedder": embedder_name}, out, console),
    ):
        from relpool.workflow.fit_report import fit_and_report  # the report's plotting libraries load only here

        fit_and_report(
            db,
            query,
            out,
            options,
            schema=schema,
            resume=resume,
            force=force,
            text_embedder=embedder,
            baselines=baselines,
            console=console,
            budget=budget,
            report=report,
            device=device,
            workers=workers,
        )
    group = distributed.from_environment()
    return None if group is not None and not group.main else Model.load(out, device)

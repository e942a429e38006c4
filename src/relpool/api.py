"""The Python API, mirroring the CLI: ``relpool.fit(db, query, out, ...)`` and ``relpool.Model``.

Arguments are checked here, before any data is read, with the messages the CLI gives; the defaults are
the CLI's (:data:`relpool.train.options.DEFAULTS`), so both train the same model.
"""

from __future__ import annotations

from pathlib import Path

from relpool.train import distributed
from relpool.train.fit import fit as fit_run
from relpool.train.options import DEFAULTS, FitSettings
from relpool.train.predict import Model

D = DEFAULTS


def fit(
    db,
    query: str,
    out: str | Path,
    *,
    pool: str = D.pool,
    layers: int = D.layers,
    channels: int = D.channels,
    fanout: tuple[int, ...] | str = D.fanout,
    strategy: str = D.strategy,
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
    console=None,
    device: str = "cpu",
    workers: int = 1,
) -> Model | None:
    """Train a relational GNN for ``query`` on ``db``; write the model directory ``out``; return the model.

    ``out`` may be new or empty; an earlier model there is continued with ``resume`` or replaced with
    ``force``. ``text_embedder``: "minilm" (default), "hashing", or an embedder object. ``report`` also
    writes ``out/report.html`` (with the baselines unless ``baselines=False``), as ``relpool fit`` does.
    ``device``: cpu, cuda or auto; ``workers``: data-parallel training processes on this machine. Under
    torchrun every rank calls this; rank 0 writes ``out``, the others return None.
    """
    settings = FitSettings(
        pool=pool,
        layers=layers,
        channels=channels,
        fanout=fanout,
        strategy=strategy,
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
    if report:
        from relpool.workflow.fit_report import fit_and_report

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
            device=device,
            workers=workers,
        )
    else:
        fit_run(
            db,
            query,
            out,
            options,
            schema=schema,
            resume=resume,
            console=console,
            text_embedder=embedder,
            force=force,
            device=device,
            workers=workers,
        )
    group = distributed.from_environment()
    return None if group is not None and not group.main else Model.load(out, device)

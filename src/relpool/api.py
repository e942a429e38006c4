"""The Python API, mirroring the CLI: ``relpool.fit(db, query, out, ...)`` and ``relpool.Model``.

Arguments are checked here, before any data is read, with the messages the CLI gives.
"""

from __future__ import annotations

from pathlib import Path

from relpool.train.fit import fit as fit_run
from relpool.train.fit_options import FitOptions, LoopOptions
from relpool.train.options import check_fit_arguments, resolve_text_embedder
from relpool.train.predict import Model


def fit(db, query: str, out: str | Path, *, pool: str = "adaptive", layers: int = 2, channels: int = 32,
        fanout: tuple[int, ...] | str = (16, 8), strategy: str = "uniform", epochs: int = 10, patience: int = 3,
        batch_size: int = 512, max_steps: int = 40, lr: float = 3e-3, seed: int = 0, schema=None,
        step: str | None = None, val_at: str | None = None, test_at: str | None = None, resume: bool = False,
        force: bool = False, text_embedder=None, report: bool = False, baselines: bool = True,
        console=None) -> Model:
    """Train a relational GNN for ``query`` on ``db``; write the model directory ``out``; return the model.

    ``out`` may be new or empty; an earlier model there is continued with ``resume`` or replaced with
    ``force``. ``text_embedder``: "minilm" (default), "hashing", or an embedder object. ``report`` also
    writes ``out/report.html`` (with the baselines unless ``baselines=False``), as ``relpool fit`` does.
    """
    fanout = check_fit_arguments(db, query, out, pool=pool, strategy=strategy, fanout=fanout, channels=channels,
                                 lr=lr, step=step, val_at=val_at, test_at=test_at, layers=layers, epochs=epochs,
                                 patience=patience, batch_size=batch_size, max_steps=max_steps)
    embedder = resolve_text_embedder(text_embedder)
    loop = LoopOptions(fanout=fanout, strategy=strategy, batch_size=batch_size, max_steps_per_epoch=max_steps,
                       lr=lr, seed=seed)
    options = FitOptions(pool=pool, layers=layers, channels=channels, epochs=epochs, patience=patience, loop=loop,
                         step=step, val_at=val_at, test_at=test_at)
    finish = None
    if report:
        from relpool.report.build import write_report

        def finish(folder: Path, run) -> None:
            write_report(folder, db, baselines=baselines, console=console, shown_as=out)
    fit_run(db, query, out, options, schema=schema, resume=resume, console=console, text_embedder=embedder,
            force=force, finish=finish)
    return Model.load(out)

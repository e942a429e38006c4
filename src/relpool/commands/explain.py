"""``relpool explain``: which rows, tables and columns drove one entity's prediction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from relpool.commands.shared import CacheOpt, DbArg, err, stdout


def explain(
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by relpool fit.", show_default=False)],
    db: DbArg,
    entity: Annotated[
        str, typer.Option("--entity", help="The entity's primary-key value, as text.", show_default=False)
    ],
    at: Annotated[
        str | None, typer.Option(help="Explain the prediction as of this time (default: the newest in the database).")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="How many rows to list.")] = 10,
    order: Annotated[
        str,
        typer.Option(
            help="Order the rows by 'score' (how much the output moves without the row) or by 'attention' "
            "(the adaptive pool's weight along the row's path)."
        ),
    ] = "score",
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    cache: CacheOpt = None,
):
    """Explain one prediction: the shares of the tables, columns and related rows (visible at the cutoff)
    the model saw for the entity; a row's score is how much the output moves without it. Scores describe the model, not causes."""
    from relpool.api import Model, using_cache
    from relpool.report.explain_view import render_explanation

    with using_cache(cache), err.status("Loading the model and explaining…"):
        explanation = Model.load(model_dir).explain(db, entity, at=at, top=top, console=err, order=order)
    if as_json:
        typer.echo(json.dumps(explanation))
    else:
        render_explanation(explanation, stdout)

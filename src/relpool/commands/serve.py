"""``relpool serve``: a model's predictions and explanations over HTTP, the database prepared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from relpool.commands.shared import CacheOpt, DbArg, err
from relpool.errors import RelpoolError

SERVE_PACKAGES = ("fastapi", "uvicorn", "starlette", "pydantic")


def serve(
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by relpool fit.", show_default=False)],
    db: DbArg,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    cache: CacheOpt = None,
):
    """Serve predictions over HTTP: POST /predict, POST /explain, GET /health, POST /reload; the OpenAPI page
    at /docs. The database is read once, at start-up (and on /reload), and never written."""
    try:
        from relpool.serve.app import create_app
        from relpool.serve.server import listen, server
        from relpool.serve.service import Service
    except ImportError as exc:
        if exc.name not in SERVE_PACKAGES:
            raise
        raise RelpoolError("relpool serve needs FastAPI and uvicorn: pip install 'relpool[serve]'") from None
    from relpool.api import Model, using_cache

    with using_cache(cache), listen(host, port) as sock:  # before the database is read: a taken port fails at once
        with err.status("Loading the model and preparing the database…"):
            service = Service(Model.load(model_dir), db, err)
        where = f"http://{host}:{sock.getsockname()[1]}"
        err.print(f"serving {model_dir} at {where} (OpenAPI page: {where}/docs); Ctrl-C stops", highlight=False)
        server(create_app(service)).run(sockets=[sock])

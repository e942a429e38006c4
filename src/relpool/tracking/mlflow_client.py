"""Which MLflow tracking store to use, and a client for it.

The default store is a local file store, ``./mlruns`` in the working directory. MLflow 3's own default,
``sqlite:///mlflow.db``, needs alembic (for its schema migrations), which the skinny client does not
install; the file store needs nothing beyond mlflow-skinny and no server. MLflow 3 keeps the file store
in "maintenance mode" and refuses it unless ``MLFLOW_ALLOW_FILE_STORE=true``, so relpool sets that for
file stores (a user's own setting wins). Any other tracking URI (a server, a database) is MLflow's to
handle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

from relpool.errors import RelpoolError

ENV_URI = "RELPOOL_MLFLOW_URI"
"""Set to a tracking URI, it turns MLflow logging on for every fit (``--mlflow`` with that URI)."""

EXPERIMENT = "relpool"
"""The experiment runs go to unless ``MLFLOW_EXPERIMENT_NAME`` names another."""

INSTALL = "pip install 'relpool[mlflow]'"


def import_mlflow(needed_for: str) -> ModuleType:
    """The mlflow module, or one sentence saying what needs it and how to install it."""
    try:
        import mlflow
    except ImportError:
        raise RelpoolError(f"{needed_for} needs MLflow, which is not installed: {INSTALL}") from None
    return mlflow


def tracking_uri(given: str | None = None) -> str:
    """``given``, else ``RELPOOL_MLFLOW_URI``, else ``MLFLOW_TRACKING_URI``, else ``./mlruns``; a plain
    path becomes a ``file:`` URI (absolute, so a later change of directory does not move the store)."""
    uri = given or os.environ.get(ENV_URI) or os.environ.get("MLFLOW_TRACKING_URI") or "mlruns"
    if _is_path(uri):
        return Path(uri).expanduser().resolve().as_uri()
    return uri


def client(uri: str, needed_for: str):
    """An ``MlflowClient`` for the tracking (and model registry) store at ``uri``."""
    mlflow = import_mlflow(needed_for)
    from mlflow.exceptions import MlflowException

    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    try:
        return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    except MlflowException as exc:
        raise RelpoolError(f"cannot use the MLflow tracking store {uri}: {first_line(exc)}") from None


def experiment_id(mlflow_client) -> str:
    """The id of the experiment runs are logged to, created on first use."""
    name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or EXPERIMENT
    found = mlflow_client.get_experiment_by_name(name)
    return found.experiment_id if found is not None else mlflow_client.create_experiment(name)


def shown_database(db) -> str:
    """The database argument as a run's tag: a path as given, a URL without its password, in-memory
    tables by name."""
    if isinstance(db, Mapping):
        return "in-memory tables: " + ", ".join(map(str, db))
    text = str(db)
    parts = urlsplit(text)
    if parts.password is None:
        return text
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def _is_path(uri: str) -> bool:
    scheme = urlsplit(uri).scheme
    return not scheme or len(scheme) == 1  # a drive letter ("C:\\mlruns") is a path, not a scheme


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

"""A model logged to MLflow, downloaded into a cache folder so :class:`relpool.Model` can load it.

``models:/<name>/<version>`` (or ``@alias``, ``/latest``) is first resolved to the run artifact it names, in
our own tracking store: MLflow's own models:/ download ignores the store it is given and asks its default
one. A run artifact (``runs:/<run id>/model``) does not change once logged, so a copy already in the cache
is reused (loading checks its checksums anyway). A download goes into a hidden folder beside its cache
entry and is renamed into place once complete: a failed one leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from relpool.errors import RelpoolError
from relpool.tracking.mlflow_client import client, first_line, tracking_uri

SCHEMES = ("runs:/", "models:/")


def is_model_uri(location: str | Path) -> bool:
    """True for an MLflow model URI (``Path`` keeps ``runs:/id/model`` as it is, so the CLI's arguments count)."""
    return str(location).startswith(SCHEMES)


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relpool" / "mlflow"


def download_model(uri: str, given_tracking_uri: str | None = None) -> Path:
    """The local folder holding the model artifact ``uri`` of the tracking store (see :func:`tracking_uri`)."""
    store = tracking_uri(given_tracking_uri)
    mlflow_client = client(store, f"loading {uri}")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per file otherwise
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    try:
        source = _run_artifact(mlflow_client, uri)
        entry = cache_dir() / hashlib.sha256(f"{store}\n{source}".encode()).hexdigest()[:24]
        if entry.is_dir():
            return entry
        staging = _staging(entry)
        try:
            got = mlflow.artifacts.download_artifacts(source, dst_path=str(staging), tracking_uri=store)
            if not entry.is_dir():  # another process may have put the same files there meanwhile
                os.replace(got, entry)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except MlflowException as exc:
        raise RelpoolError(f"cannot download {uri} from MLflow at {store}: {first_line(exc)}") from None
    return entry


def _run_artifact(mlflow_client, uri: str) -> str:
    """The run artifact a registered model version names (``runs:/…`` as given stays as it is)."""
    if uri.startswith("runs:/"):
        return uri
    from mlflow.store.artifact.utils.models import get_model_name_and_version

    resolved = get_model_name_and_version(mlflow_client, uri)
    if len(resolved) != 2:
        raise RelpoolError(
            f"{uri} names no registered model version: give models:/<name>/<version> or runs:/<run id>/model"
        )
    return mlflow_client.get_model_version_download_uri(*resolved)


def _staging(entry: Path) -> Path:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    except OSError as exc:
        raise RelpoolError(f"cannot write the model cache {entry.parent}: {exc.strerror}") from None

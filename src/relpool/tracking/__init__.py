"""Runs logged to MLflow (``relpool fit --mlflow``) and models loaded back from it (``runs:/…``, ``models:/…``).

MLflow is an optional dependency (``pip install 'relpool[mlflow]'``): nothing here imports it until a run
is logged or a model URI is loaded.
"""

from relpool.tracking.mlflow_load import download_model, is_model_uri
from relpool.tracking.mlflow_log import MODEL_ARTIFACT, enabled_uri, fit_log

__all__ = ["MODEL_ARTIFACT", "download_model", "enabled_uri", "fit_log", "is_model_uri"]

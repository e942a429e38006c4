"""The FastAPI app of ``relpool serve``: four endpoints over one :class:`~.service.Service`.

The endpoints are plain functions, which FastAPI runs in its thread pool; the service's lock keeps one
model call at a time, so a slow request delays others but never corrupts them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from relpool.serve.errors import install
from relpool.serve.schemas import ExplainRequest, ExplainResponse, Health, PredictRequest, PredictResponse, Problem
from relpool.serve.service import Service

BAD_REQUEST: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 422: {"model": Problem}}


def create_app(service: Service) -> FastAPI:
    app = FastAPI(
        title="relpool",
        summary=f"Predictions of the model in {service.model.folder}",
        description=f"PREDICT query: `{service.model.settings.query}`",
    )
    install(app)

    @app.get("/health", response_model=Health)
    def health() -> dict:
        """The model served and when its database was prepared."""
        return service.health()

    @app.post("/predict", response_model=PredictResponse, response_model_exclude_unset=True, responses=BAD_REQUEST)
    def predict(request: PredictRequest) -> dict:
        """Predictions for the given entities as of ``at``, in their order (the numbers ``Model.predict(db, at,
        entities=...)`` gives)."""
        return {"predictions": service.predict(request.entities, request.at)}

    @app.post("/explain", response_model=ExplainResponse, response_model_exclude_unset=True, responses=BAD_REQUEST)
    def explain(request: ExplainRequest) -> dict:
        """Which tables, columns and rows drove one entity's prediction: ``relpool explain --json``'s output."""
        return service.explain(request.entity, request.at, request.top)

    @app.post("/reload", response_model=Health, responses=BAD_REQUEST)
    def reload() -> dict:
        """Read and encode the database again, e.g. after it changed; requests are answered meanwhile."""
        return service.reload()

    return app

"""The JSON of ``relpool serve``'s requests and responses, as pydantic models: FastAPI validates requests with
them and publishes them as the OpenAPI schema at ``/docs``.

Requests refuse fields they do not know (a misspelt ``entity`` for ``entities`` is an error, not ignored).
Responses allow more fields than they name, so ``/explain`` returns exactly what ``relpool explain --json``
prints, whatever the task kind adds.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

MAX_ENTITIES = 10_000
"""Entities one ``/predict`` request may name: a bound on one request's time and memory."""


def _key(value: object) -> str | int:
    """An entity key as JSON carries it: text or an integer (``true`` is no key, nor is ``1.5``)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"an entity key is text or an integer, not {value!r}")
    return value


EntityKey = Annotated[str | int, PlainValidator(_key, json_schema_input_type=str | int)]
Time = Annotated[
    str | None,
    Field(description="Predict as of this ISO time (default: the newest time in the database)."),
]


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entities: list[EntityKey] = Field(
        description="Primary-key values of the entity table.", min_length=1, max_length=MAX_ENTITIES
    )
    at: Time = None


class Prediction(BaseModel):
    """One entity's prediction; which fields are present depends on the task kind."""

    entity: EntityKey
    cutoff: str
    probability: float | None = Field(None, description="binary: P(true); multiclass: the predicted class's")
    prediction: float | str | None = Field(None, description="regression: the value; multiclass: the class")
    top_k: list[EntityKey] | None = Field(None, description="link prediction: the item keys, best first")


class PredictResponse(BaseModel):
    predictions: list[Prediction]


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity: EntityKey = Field(description="The entity's primary-key value.")
    at: Time = None
    top: int = Field(10, ge=1, le=1000, description="How many rows to list.")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TableShare(_Open):
    table: str
    score: float


class ColumnShare(_Open):
    table: str
    column: str
    score: float


class ExplainedRow(_Open):
    table: str
    key: dict[str, object]
    score: float


class ExplainResponse(_Open):
    """What ``relpool explain --json`` prints: the shares of tables, columns and rows (see the README)."""

    entity: EntityKey
    cutoff: str
    prediction: float | str | list[EntityKey] | None
    tables: list[TableShare]
    columns: list[ColumnShare]
    rows: list[ExplainedRow]


class Health(BaseModel):
    status: str = Field(description="'ok' once the database is prepared.")
    model: str = Field(description="The model directory served.")
    served: str = Field(description="The model that answers: the network, a LightGBM baseline's kind, or 'blend'.")
    task_type: str
    entity_table: str
    entity_column: str
    prepared_at: str = Field(description="When the database was last read and encoded (UTC, ISO).")
    prepare_seconds: float


class Problem(BaseModel):
    detail: str = Field(description="One sentence naming what is wrong with the request.")

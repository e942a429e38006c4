"""A LightGBM baseline kept as a model relpool can serve: when it wins on validation, predict uses it.

Saved beside its metrics in DIR/baselines/<kind>/: ``model.txt`` (LightGBM's own text format, no pickle,
trimmed to the early-stopped iteration) and ``served.json`` (the feature columns in order, the category
codes learned on the training examples, the classes, the times that shape the features, and the model
file's SHA-256, so an edited or truncated file is refused rather than silently mispredicting).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from relpool.autofeat import FeatureTable, FeatureTimes, auto_features, registered
from relpool.autofeat.table import by_table, source_table
from relpool.baselines.lightgbm_model import Fitted, encode
from relpool.db.inspection import Inspection
from relpool.errors import RelpoolError
from relpool.files import write_atomically
from relpool.query.bind import BoundQuery
from relpool.tasks import task_kind

if TYPE_CHECKING:
    import lightgbm as lgb

SERVABLE = ("entity", "autofeat")  # link prediction's baselines rank by counts: nothing to serve


@dataclass
class ServedBaseline:
    kind: str  # "entity" or "autofeat"
    task_type: str
    booster: lgb.Booster
    columns: list[str]
    vocabularies: dict[str, list[str]]
    classes: list[str] | None
    times: FeatureTimes

    @classmethod
    def from_fit(
        cls, kind: str, task_type: str, fitted: Fitted, table: FeatureTable, times: FeatureTimes
    ) -> ServedBaseline:
        assert fitted.booster is not None and fitted.vocabularies is not None  # set by every LightGBM fit
        columns = list(table.frame.columns)
        return cls(kind, task_type, fitted.booster, columns, fitted.vocabularies, fitted.classes, times)

    def save(self, folder: Path) -> list[Path]:
        text = self.booster.model_to_string(num_iteration=self.booster.best_iteration or None)
        model, about = folder / "model.txt", folder / "served.json"
        write_atomically(model, lambda p: p.write_text(text))
        content = {
            "kind": self.kind,
            "task_type": self.task_type,
            "columns": self.columns,
            "vocabularies": self.vocabularies,
            "classes": self.classes,
            "times": self.times.to_json(),
            "model_sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
        write_atomically(about, lambda p: p.write_text(json.dumps(content, indent=2) + "\n"))
        return [model, about]

    @classmethod
    def load(cls, folder: Path) -> ServedBaseline:
        import lightgbm as lgb

        try:
            about = json.loads((folder / "served.json").read_text())
            text = (folder / "model.txt").read_text()
        except (OSError, ValueError) as exc:
            raise RelpoolError(
                f"the served baseline in {folder} cannot be read ({exc}); the model directory is damaged"
            ) from None
        if hashlib.sha256(text.encode()).hexdigest() != about.get("model_sha256"):
            raise RelpoolError(f"{folder / 'model.txt'} was changed after training; retrain the model")
        booster = lgb.Booster(model_str=text)
        times = FeatureTimes.from_json(about["times"])
        return cls(
            about["kind"], about["task_type"], booster, about["columns"], about["vocabularies"], about["classes"], times
        )

    def predict(self, inspection: Inspection, bound: BoundQuery, examples: pd.DataFrame) -> pd.DataFrame:
        """The baseline's predictions for ``examples`` (entity, cutoff), in the columns a GNN's predictions have
        (binary: probability; regression: prediction; multiclass: prediction and its probability)."""
        matrix = self._matrix(inspection, bound, examples)
        return self._frame(np.asarray(self.booster.predict(matrix)) if len(matrix) else np.empty(0))

    def _matrix(self, inspection: Inspection, bound: BoundQuery, examples: pd.DataFrame) -> np.ndarray:
        """The examples' features, computed as at training and in its column order (missing: NaN)."""
        with registered(inspection.database, examples[["entity", "cutoff"]]):
            table = auto_features(inspection, bound, self.times, aggregates=self.kind == "autofeat")
        frame = table.frame.reindex(columns=self.columns)
        return encode(FeatureTable(frame, tuple(c for c in self.columns if c in self.vocabularies)), self.vocabularies)[
            0
        ]

    def _frame(self, raw: np.ndarray) -> pd.DataFrame:
        if self.classes is None:
            return task_kind(self.task_type).prediction_frame(raw.reshape(-1))
        raw = raw.reshape(-1, len(self.classes))
        classes = np.asarray(self.classes, dtype=object)
        return pd.DataFrame({"prediction": classes[raw.argmax(axis=1)], "probability": raw.max(axis=1)})

    def explain(self, inspection: Inspection, bound: BoundQuery, example: pd.DataFrame, top: int) -> dict:
        """One example's prediction with its features' SHAP values (``pred_contrib``) as shares: by source table
        and per feature (as "columns"). A LightGBM model reads aggregates, not rows, so ``rows`` is empty."""
        matrix = self._matrix(inspection, bound, example)
        raw = np.asarray(self.booster.predict(matrix))
        contributions = np.asarray(self.booster.predict(matrix, pred_contrib=True))[0]
        block = int(raw[0].argmax()) if self.classes is not None else 0  # each class's block ends with its bias
        start = block * (len(self.columns) + 1)
        magnitude = np.abs(contributions[start : start + len(self.columns)])
        shares = magnitude / (float(magnitude.sum()) or 1.0)
        tables = list(inspection.schema.tables)
        ranked = sorted(zip(self.columns, shares), key=lambda x: (-x[1], x[0]))[:top]
        return {
            "prediction": self._frame(raw).iloc[0].to_dict(),
            "tables": [{"table": t["table"], "score": t["share"]} for t in by_table(self.columns, shares, tables)],
            "columns": [{"table": source_table(n, tables), "column": n, "score": float(s)} for n, s in ranked],
            "rows": [],
        }

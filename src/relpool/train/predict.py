"""A trained model directory, loaded for prediction and evaluation on a database.

Loading re-reads the database with the model's own schema, re-encodes every table with the
statistics and column types learned at training (never recomputed), rebuilds the network from
config.json and loads the weights, refusing anything that does not fit with one clear message.
Tables and columns added to the database since training are ignored, with a note
(:mod:`relpool.train.drift`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import torch
from rich.console import Console

from relpool.db.inspection import Inspection
from relpool.encode.materialize import EncodedTable, materialize_table
from relpool.encode.stypes import ColumnType, TableColumnTypes
from relpool.encode.text import embedder_from_json
from relpool.errors import RelpoolError
from relpool.graph.build import build_graph
from relpool.nn.model import ModelSpec, RelationalModel
from relpool.query.bind import BoundQuery, bind
from relpool.query.compile import entities_sql, forecast_sql
from relpool.query.parser import parse_query
from relpool.query.splits import check_cutoff_in_range, parse_time
from relpool.query.task import Task, build_task, latest_time_sql
from relpool.train.checkpoint import load_json, load_tensors
from relpool.train.data import Targets, cutoff_seconds, key_to_dense_id, prepare_splits
from relpool.train.drift import inspect_for_model
from relpool.train.evaluate import score, to_predictions
from relpool.train.fit import EVAL_SEED
from relpool.train.history import item_history
from relpool.train.loop import Loop, LoopOptions
from relpool.train.model_dir import read_config
from relpool.train.stats_json import col_stats_from_json


@dataclass
class Prepared:
    """The database read with the model's schema, and a loop holding the loaded network."""

    inspection: Inspection
    loop: Loop


class Model:
    """``Model.load(DIR).predict(db, at=...)`` and ``.evaluate(db)``."""

    def __init__(self, folder: Path, config: dict):
        self.folder, self.config = folder, config
        self.spec = ModelSpec(**config["model"])
        self.targets = Targets(**config["targets"])
        self.k = config.get("rank_top")

    @classmethod
    def load(cls, folder: str | Path) -> "Model":
        folder = Path(folder)
        config = read_config(folder)
        try:
            return cls(folder, config)
        except (TypeError, ValueError) as exc:  # model or targets with fields this version does not know
            raise RelpoolError(f"{folder}/config.json is damaged: {exc}") from None

    @property
    def metrics(self) -> dict:
        return load_json(self.folder / "metrics.json")

    def _prepare(self, db, console: Console | None) -> Prepared:
        torch.set_num_threads(self.config["options"]["loop"]["threads"])
        inspection, notes = inspect_for_model(db, self.config)
        for note in notes:
            (console or Console(stderr=True)).print(f"note: {note}", highlight=False, soft_wrap=True)
        inspection.raise_for_errors()
        graph = build_graph(inspection).graph
        if graph.node_types != self.spec.node_types or [list(e) for e in graph.edge_types] != self.spec.edge_types:
            raise RelpoolError("the database's tables or foreign keys differ from the ones the model was trained on")
        tables = self._encode(inspection)
        model = RelationalModel(self.spec, {t: e.col_stats for t, e in tables.items()},
                                {t: e.tensor_frame.col_names_dict for t, e in tables.items()})
        try:
            model.load_state_dict(load_tensors(self.folder / "model.safetensors"))
        except RuntimeError as exc:
            raise RelpoolError(f"the weights in {self.folder} do not fit the model described by its config.json: "
                               f"{str(exc).splitlines()[0]}") from None
        options = self.config["options"]["loop"]
        known = {k: v for k, v in options.items() if k in LoopOptions.__dataclass_fields__}  # older dirs: extra keys
        loop = Loop(model, graph, tables, self.targets, LoopOptions(**{**known, "fanout": tuple(options["fanout"])}))
        return Prepared(inspection, loop)

    def _encode(self, inspection: Inspection) -> dict[str, EncodedTable]:
        embedder = embedder_from_json(self.config["text_embedder"])
        tables = {}
        for name, table in inspection.schema.tables.items():
            stored = self.config["encoders"].get(name)
            if stored is None:
                raise RelpoolError(f"the model has no encoder for table '{name}'")
            columns = {c: ColumnType(**t) for c, t in stored["column_types"].items()}
            missing = [c for c, t in columns.items() if t.semantic != "ignore" and c not in inspection.database.columns(name)]
            if missing:
                raise RelpoolError(f"table '{name}' lacks column(s) {', '.join(missing)} the model was trained with")
            try:
                tables[name] = materialize_table(
                    inspection.database, table, stats_cutoff=None, text_embedder=embedder,
                    column_types=TableColumnTypes(name, columns, 0), col_stats=col_stats_from_json(stored["col_stats"]))
            except duckdb.Error as exc:  # a column's values no longer convert the way they did at training
                first = " ".join(str(exc).split("LINE")[0].split())
                raise RelpoolError(f"table '{name}' cannot be encoded the way the model was trained: {first}") from None
        return tables

    def predict(self, db, at: str | None = None, console: Console | None = None) -> pd.DataFrame:
        """One row per entity that exists at ``at`` (default: the newest time in the database).

        Notes (tables or columns the model ignores) go to ``console``, by default stderr."""
        if at is not None:
            parse_time(at, "--at")  # a bad time fails before the database is read
        prepared = self._prepare(db, console)
        warning = check_cutoff_in_range(prepared.inspection, at) if at is not None else None
        if warning:
            (console or Console(stderr=True)).print(f"warning: {warning}", style="yellow", highlight=False,
                                                    soft_wrap=True)
        bound = bind(parse_query(self.config["query"]), prepared.inspection)
        entities = self._entities_at(prepared.inspection, bound, at)
        seeds = key_to_dense_id(prepared.inspection, self.spec.entity_table, entities["entity"])
        history = (item_history(prepared.inspection, bound, entities, self.targets.item_keys)
                   if self.spec.history_features else None)
        outputs = prepared.loop.predict_outputs(seeds, cutoff_seconds(entities["cutoff"]), EVAL_SEED, history)
        predictions = to_predictions(outputs, self.targets, self.k)
        key = self.config["entity_column"]
        return pd.concat([entities.rename(columns={"entity": key}).reset_index(drop=True), predictions], axis=1)

    def evaluate(self, db, console: Console | None = None) -> dict[str, dict[str, float]]:
        """Validation and test metrics, the task rebuilt on ``db`` with the training run's split options."""
        prepared = self._prepare(db, console)
        task = self._task(prepared.inspection)
        splits = prepare_splits(prepared.inspection, task, self.targets, ("val", "test"), self.spec.history_features > 0)
        out = {}
        for split in ("val", "test"):
            data = splits[split]
            outputs = prepared.loop.predict_outputs(data.seeds, data.cutoffs, EVAL_SEED, data.history)
            out[split] = score(to_predictions(outputs, self.targets, self.k), data.frame["label"], self.targets, self.k)
        return out

    def _task(self, inspection: Inspection) -> Task:
        o = self.config["options"]
        return build_task(inspection, self.config["query"], o["step"], o["val_at"], o["test_at"])

    def _entities_at(self, inspection: Inspection, bound: BoundQuery, at: str | None) -> pd.DataFrame:
        latest = inspection.database.scalar(f"SELECT {latest_time_sql(inspection)}")
        cutoff = parse_time(at, "--at") if at else pd.Timestamp(latest)
        db = inspection.database
        if bound.static_target:
            frame = db.execute(entities_sql(bound, f"TIMESTAMP '{cutoff}'")).df()
        else:
            frame = db.execute(forecast_sql(bound, "(SELECT ?::TIMESTAMP AS cutoff)"), [cutoff.to_pydatetime()]).df()
        if frame.empty:
            raise RelpoolError(f"no {bound.entity_table} exists at {cutoff} (or none passes the query's WHERE)")
        return frame[["entity", "cutoff"]]

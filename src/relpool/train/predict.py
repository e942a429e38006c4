"""A trained model directory, loaded for prediction and evaluation on a database.

Loading checks the directory (:mod:`.model_dir`) and types its config (:mod:`.config`). The first call
on a database reads it with the model's own schema, re-encodes every table with the statistics and
column types learned at training (never recomputed) and loads the weights into the network; later
calls on the same unchanged database reuse all of that (:mod:`.model_session`), so a second
``predict`` is sampling and forward passes only. Tables and columns added to the database since
training are ignored, with a note (:mod:`relpool.train.drift`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import torch
from rich.console import Console

from relpool.autofeat import FeatureTimes
from relpool.db.inspection import Inspection
from relpool.errors import RelpoolError
from relpool.graph.build import build_graph
from relpool.query.bind import BoundQuery, bind
from relpool.query.compile import entities_sql, forecast_sql
from relpool.query.parser import parse_query
from relpool.query.splits import check_cutoff_in_range, parse_time
from relpool.query.task import build_task, latest_time_sql
from relpool.tasks import task_kind
from relpool.tracking import MODEL_ARTIFACT, download_model, is_model_uri
from relpool.train.checkpoint import load_json
from relpool.train.config import ModelConfig
from relpool.train.data import SplitData, cutoff_seconds, key_to_dense_id, prepare_splits
from relpool.train.device import resolve_device
from relpool.train.example_features import compute_features, feature_matrix
from relpool.train.explain import Explained, explain_entity, explain_examples
from relpool.train.explain_rows import check_known_order, find_example, plain
from relpool.train.history import item_history
from relpool.train.loop import CPU, Loop
from relpool.train.model_dir import model_id, read_config, served_baseline, served_blend
from relpool.train.model_session import Session, Sessions
from relpool.train.prepare import Prepared, encode_for_model
from relpool.train.requested import requested_examples
from relpool.train.split_predictions import EVAL_SEED, predict_split, score_splits


class Model:
    """``Model.load(DIR).predict(db, at=...)`` and ``.evaluate(db)``.

    ``config`` is config.json as written; ``settings`` the same, typed; ``device`` where the network predicts
    (explanations are computed on the CPU)."""

    def __init__(self, folder: Path, config: dict, settings: ModelConfig, device: str | torch.device = "cpu"):
        self.folder, self.config, self.settings = folder, config, settings
        self.device = resolve_device(device)
        self.spec, self.targets, self.k = settings.model, settings.targets, settings.rank_top
        self.kind = task_kind(self.targets.task_type)
        self.served = served_baseline(folder)  # a baseline chosen on validation over the network, or None
        self.blend = served_blend(folder)  # the network blended with the autofeat baseline, when that was chosen
        self.threads = settings.options.loop.threads  # torch's, set on every call (a server sets 1)
        self._sessions = Sessions(folder, settings, self.device)  # the prepared database in use

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu", tracking_uri: str | None = None) -> Model:
        """A model directory, or a model logged to MLflow (``runs:/<run id>/model``, ``models:/<name>/<version>``)
        downloaded from ``tracking_uri`` (default: ``RELPOOL_MLFLOW_URI``, ``MLFLOW_TRACKING_URI``, ./mlruns);
        its network to run on ``device`` (cpu, cuda or auto)."""
        device = resolve_device(device)
        folder = download_model(str(folder), tracking_uri) if is_model_uri(folder) else Path(folder)
        config = read_config(folder)
        try:
            return cls(folder, config, ModelConfig.from_json(config), device)
        except (TypeError, ValueError, KeyError) as exc:  # sections with fields this version does not know
            raise RelpoolError(f"{folder}/config.json is damaged: {exc}") from None

    @classmethod
    def from_mlflow(cls, run_id: str, tracking_uri: str | None = None) -> Model:
        """The model a ``relpool fit --mlflow`` run logged."""
        return cls.load(f"runs:/{run_id}/{MODEL_ARTIFACT}", tracking_uri=tracking_uri)

    @property
    def id(self) -> str:
        """A stable identifier of this trained model (:func:`~relpool.train.model_dir.model_id`), written as
        the ``model_id`` of its predictions."""
        return model_id(self.folder, self.config)

    @property
    def metrics(self) -> dict:
        return load_json(self.folder / "metrics.json")

    def prepare(self, db, console: Console | None = None) -> Inspection:
        """Read and encode ``db`` now, and pin it: later calls on the same ``db`` argument use it as prepared,
        without checking whether it changed, until ``prepare`` is called again (a server's start and reload:
        no request pays for reading, even for a server URL, which has no cheap fingerprint)."""
        torch.set_num_threads(self.threads)
        return self._sessions.pin(db, console or Console(stderr=True)).prepared.inspection

    def _prepare(self, db, console: Console) -> Session:
        torch.set_num_threads(self.threads)
        return self._sessions.get(db, console)

    def _explaining(self, session: Session) -> Loop:
        return self._sessions.explaining(session)

    def predict(
        self,
        db,
        at: str | None = None,
        console: Console | None = None,
        explain: bool = False,
        explain_top: int = 3,
        entities: Sequence[object] | None = None,
    ) -> pd.DataFrame:
        """One row per entity that exists at ``at`` (default: the newest time in the database), or per key of
        ``entities`` in their order (:func:`~relpool.train.requested.requested_examples`): only those are
        sampled and featurised. Predictions equal a batch of those entities alone (the sampler's stream for an
        entity depends on its batch, so under uniform sampling they can differ slightly from a full predict's).

        ``explain``: a column ``explanation`` beside the predictions, per entity a JSON list of the
        ``explain_top`` rows that drove it, best first: ``[{"table", "key": {pk: value}, "score"}]``
        (scores as :meth:`explain` gives them, computed batch-wise on predict's own subgraphs; the
        predictions are unchanged; a served blend's rows are its network part's). Notes (tables or columns the model ignores) go to ``console``, by default stderr."""
        if explain and explain_top < 1:
            raise RelpoolError(f"--explain-top must be at least 1, got {explain_top}")
        console = console or Console(stderr=True)
        if at is not None:
            parse_time(at, "--at")  # a bad time fails before the database is read
        session = self._prepare(db, console)
        inspection = session.prepared.inspection
        warning = check_cutoff_in_range(inspection, at) if at is not None else None
        if warning:
            console.print(f"warning: {warning}", style="yellow", highlight=False, soft_wrap=True)
        examples = self._entities_at(session, at)
        if entities is not None:
            examples = requested_examples(inspection, self.spec.entity_table, examples, entities)
        seeds = key_to_dense_id(inspection, self.spec.entity_table, examples["entity"])
        history = None
        if self.spec.history_features:
            assert self.targets.item_keys is not None  # history features are link prediction's
            history = item_history(inspection, session.bound, examples, self.targets.item_keys)
        cutoffs = cutoff_seconds(examples["cutoff"])
        features = self._features(inspection, session.bound, examples) if self.served is None else None
        explained = None
        if self.served is not None:
            if explain:
                raise RelpoolError(
                    f"--explain lists the rows behind each prediction, but {self.folder} serves the "
                    f"{self.served.kind} baseline (chosen on validation), which reads aggregates, not rows; "
                    "relpool explain gives its features' shares"
                )
            outputs = None
            predictions = self.served.predict(inspection, session.bound, examples)
        elif explain:
            explained = explain_examples(
                session.prepared,
                self._explaining(session),
                seeds,
                cutoffs,
                history,
                explain_top,
                features=features,
                columns=False,
            )
            outputs = explained.outputs
        else:
            outputs = session.loop.predict_outputs(seeds, cutoffs, EVAL_SEED, history, features)
        if outputs is not None:
            predictions = self.kind.predictions(outputs, self.targets, self.k)
            if self.blend is not None:
                predictions = self.blend.predict(predictions, inspection, session.bound, examples)
        key = self.settings.entity_column
        frame = pd.concat([examples.rename(columns={"entity": key}).reset_index(drop=True), predictions], axis=1)
        if explained is not None:
            frame["explanation"] = [json.dumps(rows) for rows in explained.rows]
        return frame

    def explain_examples(self, inspection: Inspection, examples: pd.DataFrame, top: int = 5) -> Explained:
        """Explanations of ``examples`` (entity, cutoff: e.g. a test split's) on the database ``inspection``
        already holds (a finished training run's: nothing is read again, every table encoded with the model's
        statistics); each example's table and column shares and its top rows with their values."""
        torch.set_num_threads(self.threads)
        prepared = Prepared(inspection, build_graph(inspection).graph, encode_for_model(inspection, self.settings))
        loop = self._sessions.network(prepared, CPU)
        seeds = key_to_dense_id(inspection, self.spec.entity_table, examples["entity"])
        history = None
        bound = bind(parse_query(self.settings.query), inspection)
        if self.spec.history_features:
            assert self.targets.item_keys is not None  # history features are link prediction's
            history = item_history(inspection, bound, examples, self.targets.item_keys)
        features = self._features(inspection, bound, examples)
        return explain_examples(
            prepared, loop, seeds, cutoff_seconds(examples["cutoff"]), history, top, values=True, features=features
        )

    def evaluate(self, db, console: Console | None = None) -> dict[str, dict[str, float | None]]:
        """Validation and test metrics, the task rebuilt on ``db`` with the training run's split options."""
        session = self._prepare(db, console or Console(stderr=True))
        inspection, options = session.prepared.inspection, self.settings.options
        task = build_task(inspection, self.settings.query, options.step, options.val_at, options.test_at)
        splits = prepare_splits(inspection, task, self.targets, ("val", "test"), self.spec.history_features > 0)
        if self.served is None:  # a served baseline computes its own features
            for data in splits.values():
                data.features = self._features(inspection, session.bound, data.frame)
        predicted = {split: self._predict_split(session, data) for split, data in splits.items()}
        return score_splits(predicted, self.targets, self.k)

    def _predict_split(self, session: Session, data: SplitData) -> pd.DataFrame:
        if self.served is None:
            predicted = predict_split(session.loop, data, self.targets, self.k)
            if self.blend is None:
                return predicted
            return self.blend.predict(predicted, session.prepared.inspection, session.bound, data.frame)
        predicted = self.served.predict(session.prepared.inspection, session.bound, data.frame)
        return pd.concat([data.frame.reset_index(drop=True), predicted], axis=1)

    def explain(
        self,
        db,
        entity: str,
        at: str | None = None,
        top: int = 10,
        console: Console | None = None,
        order: str = "score",
    ) -> dict:
        """Which rows, tables and columns drove the prediction for the entity whose primary key is ``entity``
        (as text) at ``at`` (default: the newest time in the database); see :mod:`relpool.train.explain`.
        ``order``: the rows by score, or by the attention weight along their path ("attention", adaptive pools).

        A served blend is explained by its network part: the rows, tables and columns are the network's, and so
        is ``prediction``; ``note`` says so and gives the blend's weight.

        The prepared database is the one ``predict`` uses and reuses."""
        console = console or Console(stderr=True)
        check_known_order(order)
        if at is not None:
            parse_time(at, "--at")
        session = self._prepare(db, console)
        entities = self._entities_at(session, at)
        inspection, bound = session.prepared.inspection, session.bound
        if self.served is not None:
            if order != "score":
                raise RelpoolError(
                    f"--order {order} needs the network's explanation; {self.folder} serves a LightGBM baseline, "
                    "whose rows are ordered by score"
                )
            example, _, key = find_example(inspection, self.spec.entity_table, entities, str(entity))
            shares = self.served.explain(inspection, bound, example, top)
            predicted = shares.pop("prediction")
            cutoff = pd.Timestamp(example["cutoff"].iloc[0]).isoformat()
            return {"entity": key, "cutoff": cutoff, **_prediction_fields(predicted, self.kind.column), **shares}
        explained = explain_entity(
            session.prepared,
            self._explaining(session),
            bound,
            self.settings,
            entities,
            str(entity),
            top,
            features=lambda example: self._features(inspection, bound, example),
            order=order,
        )
        if self.blend is not None:
            explained["note"] = (
                f"{self.folder} serves a blend ({self.blend.weight:g} network + {1 - self.blend.weight:g} "
                "autofeat LightGBM); this explains its network part, and the prediction shown is the network's"
            )
        return explained

    def _features(self, inspection: Inspection, bound: BoundQuery, examples: pd.DataFrame) -> torch.Tensor | None:
        """A hybrid GNN's auto-features of ``examples`` (entity, cutoff), as training computed them; None for a plain GNN."""
        if not self.spec.entity_features:
            return None
        assert self.settings.feature_times is not None  # written with every hybrid GNN
        times = FeatureTimes.from_json(self.settings.feature_times)
        table = compute_features(
            inspection, bound, times, examples[["entity", "cutoff"]], columns=self.spec.entity_features
        )
        return feature_matrix(table, self.spec.entity_features)

    def _entities_at(self, session: Session, at: str | None) -> pd.DataFrame:
        inspection, bound = session.prepared.inspection, session.bound
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


def _prediction_fields(predicted: dict, column: str) -> dict:
    """An explanation's prediction (and a class's probability), as :func:`~relpool.train.explain.explain_entity` gives them."""
    fields = {"prediction": plain(predicted[column])}
    if "probability" in predicted and column != "probability":
        fields["probability"] = plain(predicted["probability"])
    return fields

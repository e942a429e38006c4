"""config.json as one typed object, read in one place, with explicit upgrades of older model directories.

Everything after loading uses :class:`ModelConfig`'s fields, never string keys into the JSON. The file's
integrity (weights and config checksums, missing files) is checked by :mod:`relpool.train.model_dir`
before the content is typed here. ``FORMAT_VERSION`` changes only when a directory written today could
not be read by an older relpool; compatible shapes that older versions wrote are listed in ``UPGRADES``,
each with the change that made it necessary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from relpool.encode.stypes import ColumnType, TableColumnTypes
from relpool.nn.model import ModelSpec
from relpool.tasks import Targets
from relpool.train.fit_options import FitOptions

FORMAT_VERSION = 1


@dataclass(frozen=True)
class EncoderConfig:
    """How one table was encoded at training: column types and the statistics (JSON form) learned then."""

    column_types: dict[str, ColumnType]
    col_stats: dict[str, Any]

    def table_types(self, table: str) -> TableColumnTypes:
        return TableColumnTypes(table, self.column_types, 0)


@dataclass(frozen=True)
class ModelConfig:
    query: str
    entity_column: str
    rank_top: int | None
    source: str
    schema: dict  # the resolved schema in the YAML override form (inspect_database's schema_file)
    rows: dict[str, int]  # rows per table at training ({} when an older relpool did not record them)
    options: FitOptions
    model: ModelSpec
    targets: Targets
    stats_cutoff: str
    text_embedder: dict
    hidden_columns: list[list[str]]
    encoders: dict[str, EncoderConfig]
    feature_times: dict | None  # the hybrid GNN's auto-features' times (relpool.autofeat.FeatureTimes), or None

    @classmethod
    def from_json(cls, raw: dict) -> ModelConfig:
        """The typed config; ``TypeError``/``ValueError``/``KeyError`` when a section has fields this version does not know."""
        raw = upgrade(raw)
        return cls(
            query=raw["query"],
            entity_column=raw["entity_column"],
            rank_top=raw["rank_top"],
            source=raw["source"],
            schema=raw["schema"],
            rows=raw["rows"],
            options=FitOptions.from_dict(raw["options"]),
            model=ModelSpec(**raw["model"]),
            targets=Targets(**raw["targets"]),
            stats_cutoff=raw["stats_cutoff"],
            text_embedder=raw["text_embedder"],
            hidden_columns=raw["hidden_columns"],
            encoders={
                name: EncoderConfig({c: ColumnType(**t) for c, t in e["column_types"].items()}, e["col_stats"])
                for name, e in raw["encoders"].items()
            },
            feature_times=raw["feature_times"],
        )


def _loop_without_negatives(raw: dict) -> dict:
    """Before the listwise link loss, link prediction sampled ``negatives`` items per example; the option is gone."""
    loop = raw["options"]["loop"]
    if "negatives" not in loop:
        return raw
    return {**raw, "options": {**raw["options"], "loop": {k: v for k, v in loop.items() if k != "negatives"}}}


def _options_before_features(raw: dict) -> dict:
    """Before the hybrid GNN every model was a plain one: no ``features`` option meant none."""
    if "features" in raw["options"]:
        return raw
    return {**raw, "options": {**raw["options"], "features": False}}


def _unrecorded_sections(raw: dict) -> dict:
    """Sections later versions added, at the values that reproduce what older versions did without them."""
    defaults: dict[str, Any] = {
        "rank_top": None,
        "source": "",
        "rows": {},
        "stats_cutoff": "",
        "hidden_columns": [],
        "feature_times": None,  # before the hybrid GNN
    }
    return {**defaults, **raw}


UPGRADES: tuple[Callable[[dict], dict], ...] = (
    _loop_without_negatives,
    _options_before_features,
    _unrecorded_sections,
)


def upgrade(raw: dict) -> dict:
    """An older config.json in today's shape (a copy; the file is never rewritten)."""
    for step in UPGRADES:
        raw = step(raw)
    return raw

"""Baselines a relpool model must beat: LightGBM on the entity's own columns, and on automatic
deep-feature-synthesis aggregates computed in DuckDB under the same time rule as the GNN."""

from relpool.baselines.run import KINDS, BaselineResult, run_baseline, write_outputs

__all__ = ["KINDS", "BaselineResult", "run_baseline", "write_outputs"]

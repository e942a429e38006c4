"""Which part of fit's pipeline stops the GNN learning the affinity family (issue 18): fit's own pieces, one
swapped at a time, seconds to a minute a run.

``bench/affinity_gnn_probe.py`` (relpool's layers on synthetic tensors) learns the family in 100 steps; a real
``relpool fit`` does not. This script runs fit's real pipeline on a ``relpool synth --family affinity`` database
(its preparation, encoded tables, temporal sampler, ``RelationalModel`` and training ``Loop``), without the
auto-features, baselines and report; a variant is space-separated changes, combined:

- ``base``: the network fit builds (ResNet column encoders, dropout 0.1, adaptive pool)
- ``dropout=0``, ``pool=NAME``, ``query=input``: those settings
- ``mlp``: each table's ResNet replaced by a 2-layer MLP over its numerical columns only (the probe's encoders)
- ``mlp-tail``: that MLP followed by the ResNet's decoder (LayerNorm, ReLU, Linear)
- ``numerical``: the ResNet kept, over each table's numerical columns only; ``drop=COL``: without column COL
- ``norm=none`` / ``norm=batch_norm``: the ResNet's residual blocks with that normalization (default layer_norm)
- ``linear-std=X``: the numerical columns' LinearEncoder weights drawn with std X (torch_frame's default 0.01)
- ``no-sessions``: the sessions table's edges dropped from every batch
- ``no-age``: every row's age vector zeroed

Validation AUROC (against the labels, and against the oracle's latent state) after every epoch (15 steps).
Writes bench/results/affinity_fit_probe.json (keeping earlier variants run with the same options).

    python bench/affinity_fit_probe.py --variants "base,mlp,dropout=0" --steps 300
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from torch import nn
from torch_frame import TensorFrame
from torch_frame.nn.encoder import LinearEncoder
from torch_frame.nn.models import ResNet

from relpool.db import inspect_database
from relpool.encode import HashingEmbedder
from relpool.nn.encoder import TableEncoder, stype_encoders
from relpool.nn.model import ModelSpec, RelationalModel
from relpool.query.task import build_task
from relpool.synth import SynthSpec, generate
from relpool.train.data import fit_targets, prepare_splits
from relpool.train.fit_options import LoopOptions
from relpool.train.loop import Loop
from relpool.train.prepare import prepare_training

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, versions, write_result  # noqa: E402


class NumericalMLP(nn.Module):
    """The GNN probe's row encoder: an MLP over a table's standardised numerical columns (nothing else)."""

    def __init__(self, channels: int, col_stats: dict, col_names: dict, tail: bool = False):
        super().__init__()
        self.columns = [c for s, cols in col_names.items() if str(s) == "numerical" for c in cols]
        mean = [col_stats[c][_stat(col_stats[c], "MEAN")] for c in self.columns]
        std = [col_stats[c][_stat(col_stats[c], "STD")] for c in self.columns]
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float).clamp(min=1e-6))
        width = max(1, len(self.columns))
        self.net = nn.Sequential(nn.Linear(width, channels), nn.ReLU(), nn.Linear(channels, channels))
        if tail:  # the ResNet's decoder after it: LayerNorm, ReLU, Linear
            self.net.extend([nn.LayerNorm(channels), nn.ReLU(), nn.Linear(channels, channels)])

    def forward(self, frame, num_rows: int) -> torch.Tensor:
        if not self.columns:
            return self.net(torch.zeros(num_rows, 1))
        x = next(v for s, v in frame.feat_dict.items() if str(s) == "numerical")
        return self.net(torch.nan_to_num((x - self.mean) / self.std))


class ColumnSubset(nn.Module):
    """fit's ResNet row encoder over some of a table's columns: the others are cut from every frame."""

    def __init__(self, channels: int, col_stats: dict, col_names: dict, keep, dropout: float, norm: str):
        super().__init__()
        self.picks = {s: [i for i, c in enumerate(cols) if keep(s, c)] for s, cols in col_names.items()}
        self.picks = {s: i for s, i in self.picks.items() if i}
        names = {s: [col_names[s][i] for i in idx] for s, idx in self.picks.items()}
        self.encoder = TableEncoder(channels, col_stats, names, dropout=dropout)
        if norm != "layer_norm":  # the same ResNet with another normalization in its residual blocks
            assert self.encoder.resnet is not None
            self.encoder.resnet = ResNet(
                channels, channels, 2, col_stats, names, stype_encoder_dict=stype_encoders(),
                normalization=None if norm == "none" else norm, dropout_prob=dropout,
            )  # fmt: skip
        self.names = names

    def forward(self, frame, num_rows: int) -> torch.Tensor:
        feats = {s: frame.feat_dict[s][:, idx] for s, idx in self.picks.items()}
        return self.encoder(TensorFrame(feats, self.names), num_rows)


def _stat(stats: dict, name: str):
    return next(k for k in stats if getattr(k, "name", str(k)) == name)


def build(variant: set[str], prepared, task, targets, args) -> RelationalModel:
    get = {t.split("=")[0]: t.split("=")[1] for t in variant if "=" in t}
    graph = prepared.graph
    spec = ModelSpec(
        task_type=task.task_type,
        entity_table=task.bound.entity_table,
        node_types=graph.node_types,
        edge_types=[list(e) for e in graph.edge_types],
        out_dim=task.kind.out_dim(targets),
        channels=args.channels,
        layers=2,
        pool=get.get("pool", "adaptive"),
        pool_query=get.get("query", "state"),
        dropout=float(get.get("dropout", 0.1)),
    )
    torch.manual_seed(args.seed)
    model = RelationalModel(spec, prepared.col_stats, prepared.col_names)
    if "mlp" in variant or "mlp-tail" in variant:
        model.tables = nn.ModuleDict(
            {
                t: NumericalMLP(args.channels, prepared.col_stats[t], prepared.col_names[t], "mlp-tail" in variant)
                for t in graph.node_types
            }
        )
    if "numerical" in variant or "drop" in get or "norm" in get:
        dropped = get.get("drop")
        model.tables = nn.ModuleDict(
            {
                t: ColumnSubset(
                    args.channels,
                    prepared.col_stats[t],
                    prepared.col_names[t],
                    (lambda s, c: str(s) == "numerical") if "numerical" in variant else (lambda s, c: c != dropped),
                    spec.dropout,
                    get.get("norm", "layer_norm"),
                )
                for t in graph.node_types
            }
        )
    if "linear-std" in get:  # the numerical columns' LinearEncoder started at another scale (torch_frame: 0.01)
        for module in model.modules():
            if isinstance(module, LinearEncoder):
                nn.init.normal_(module.weight, std=float(get["linear-std"]))
    if "no-age" in variant:
        model.age.forward = lambda age, has_time: torch.zeros(len(age), args.channels)  # type: ignore[method-assign]
    return model


def drop_sessions(loop: Loop) -> None:
    """Batches without the sessions table's edges (its rows are sampled but send and receive nothing)."""
    sample = loop.inputs

    def inputs(*a, **k):
        frames, batch, uses, chosen = sample(*a, **k)
        for edge_type in list(batch.edge_types):
            if "sessions" in (edge_type[0], edge_type[2]):
                batch[edge_type].edge_index = batch[edge_type].edge_index[:, :0]
        return frames, batch, uses, chosen

    loop.inputs = inputs  # type: ignore[method-assign]


def run(variant: str, data, args) -> dict:
    prepared, task, targets, splits, oracle = data
    tokens = set(variant.split())
    model = build(tokens, prepared, task, targets, args)
    options = LoopOptions(
        fanout=tuple(int(f) for f in args.fanout.split(",")),
        strategy="recent",
        batch_size=args.batch_size,
        max_steps_per_epoch=10_000,
        lr=args.lr,
        seed=args.seed,
        threads=1,
    )
    loop = Loop(model, prepared.graph, prepared.tables, targets, options)
    if "no-sessions" in tokens:
        drop_sessions(loop)
    val = splits["val"]
    label = val.target.numpy()
    history, steps, epoch = [], 0, 0
    while steps < args.steps:
        loop.train_epoch(splits["train"], epoch)
        steps += len(loop.batches(splits["train"], epoch))
        epoch += 1
        score = loop.predict_outputs(val.seeds, val.cutoffs, seed=1).numpy()
        history.append(
            {
                "step": steps,
                "val": round(roc_auc_score(label, score), 4),
                "oracle": round(roc_auc_score(oracle, score), 4),
            }
        )
    return {"history": history, "best_val": max(h["val"] for h in history)}


def load(args, folder: Path):
    spec = SynthSpec(
        entities=args.entities,
        rows_per_entity=args.rows_per_entity,
        snr=args.snr,
        seed=args.seed,
        periods=args.periods,
        format="parquet",
        family="affinity",
    )
    truth = generate(spec, folder)
    inspection = inspect_database(folder / truth["database"], None)
    task = build_task(inspection, truth["query"], None, None, None)
    prepared = prepare_training(inspection, task, HashingEmbedder())
    targets = fit_targets(task, inspection)
    splits = prepare_splits(inspection, task, targets)
    truth_labels = pd.read_parquet(folder / "labels.parquet")
    frame = splits["val"].frame
    entity_key = frame.columns[0]
    merged = frame.merge(
        truth_labels.rename(columns={"customer_id": entity_key, "cutoff": "_cutoff"}),
        left_on=[entity_key, frame.columns[1]],
        right_on=[entity_key, "_cutoff"],
        how="left",
    )
    return (prepared, task, targets, splits, merged["oracle"].to_numpy()), truth["oracle"]["val_auroc"]


def measure(args, data, oracle_val: float, options: dict, runs: dict) -> None:
    """Every variant on the loaded data, the JSON written after each."""
    print(f"oracle val AUROC {oracle_val}", flush=True)
    for variant in args.variants.split(","):
        started = time.perf_counter()
        runs[variant] = {**run(variant, data, args), "seconds": round(time.perf_counter() - started, 1)}
        print(variant, json.dumps(runs[variant]), flush=True)
        write_result(
            "affinity_fit_probe",
            {
                "machine": machine(),
                "versions": versions("torch"),
                "options": options,
                "oracle_val": oracle_val,
                "runs": runs,
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="base,mlp,dropout=0,no-sessions")
    parser.add_argument("--snr", type=float, default=0.5)
    parser.add_argument("--entities", type=int, default=600)
    parser.add_argument("--rows-per-entity", type=int, default=20)
    parser.add_argument("--periods", type=int, default=6)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--fanout", default="20,1")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    options = {k: v for k, v in vars(args).items() if k != "variants"}
    path = RESULTS / "affinity_fit_probe.json"
    earlier = json.loads(path.read_text()) if path.exists() else {}
    runs = earlier.get("runs", {}) if earlier.get("options") == options else {}
    with tempfile.TemporaryDirectory(prefix="relpool-fitprobe-") as tmp:
        data, oracle_val = load(args, Path(tmp))
        measure(args, data, oracle_val, options, runs)


if __name__ == "__main__":
    main()

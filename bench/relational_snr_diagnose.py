"""Why the relational GNN does not learn the affinity family (issue 18): one small database, one fit per variant.

Draws ``relpool synth --family affinity`` (600 customers, M = 20, 6 weeks, S = 0.5 by default) and fits the
default network with relpool's own fit (adaptive pool, no candidates, recent sampling), once per variant of
where the customer<-transaction attention gets its keys and how sharp it starts:

- ``default``: keys = values = the message ``relu(W x_B)``
- ``keys=source``: keys from the transaction's own state x_B (before the message map), values the message
- ``x10`` / ``keys=source x10``: the attention's logits times 10 at every step (a colder softmax)
- ``identity``: the adaptive pool's value path starts as the identity (``init=identity``)
- ``layers=3``: a third layer, so a pool whose rows already hold the product's style has a query that saw the taste
- ``pool=mean`` (any pool by name): that pool instead of the adaptive one
- ``no-features``: the plain GNN, without the hybrid's auto-features beside the subgraph
- ``query=input`` / ``query=both``: the pools' query from the customer's layer-0 input (its encoded taste columns
  and age) or from that plus its state (``relpool fit --pool-query``), not from the state alone

Reported per variant: validation AUROC per epoch, and the attention's peak on the customer's transaction sets
(mean over sets of size n of n x the largest weight: 1 when uniform, n when one row takes all), sampled every
10th training step. Writes bench/results/relational_snr_diagnose.json after each variant (keeping the variants an
earlier run with the same options measured).

    python bench/relational_snr_diagnose.py --variants default,keys=source
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch_geometric.utils import scatter

import relpool
import relpool.nn.model as model_module
from relpool.encode import HashingEmbedder
from relpool.nn.gnn import RelationalLayer
from relpool.nn.pool import AdaptivePool
from relpool.synth import SynthSpec, generate

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, versions, write_result  # noqa: E402

VARIANTS = "default,keys=source,x10,keys=source x10,layers=3"
ENTITY, ROWS = "customers", "transactions"


def peak(weights: torch.Tensor, index: torch.Tensor) -> float | None:
    """Mean over sets of two or more rows of n x max weight (1: uniform attention)."""
    if index.numel() == 0:
        return None
    n = torch.bincount(index)
    top = scatter(weights, index, 0, n.numel(), reduce="max")
    keep = n >= 2
    return float((n[keep] * top[keep]).mean()) if keep.any() else None


def layer_class(variant: str, peaks: list[float]) -> type[RelationalLayer]:
    """The layer the variant's model builds: keys and logit scale as named, recording the attention's peak."""

    class Layer(RelationalLayer):
        calls = 0

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs, keys="source" if "keys=source" in variant else "message")
            for pool in self.pool.values():
                if isinstance(pool, AdaptivePool) and "x10" in variant:
                    pool.root /= 10
                if isinstance(pool, AdaptivePool) and "identity" in variant:
                    with torch.no_grad():
                        for linear in (pool.v, pool.out):
                            linear.weight.copy_(torch.eye(linear.in_features))
                            linear.bias.zero_()

        def forward(self, x, edge_index, inputs=None):
            Layer.calls += 1
            if self.training and Layer.calls % 10 == 0:
                with torch.no_grad():
                    for edge_type, w in self.attention(x, edge_index, inputs).items():
                        if edge_type[0] == ROWS and edge_type[2] == ENTITY:
                            found = peak(w, edge_index[edge_type][1])
                            if found is not None:
                                peaks.append(found)
            return super().forward(x, edge_index, inputs)

    return Layer


def fit_variant(folder: Path, truth: dict, variant: str, args) -> dict:
    peaks: list[float] = []
    model_module.RelationalLayer = layer_class(variant, peaks)  # type: ignore[misc]
    try:
        metrics = relpool.fit(
            folder / truth["database"],
            truth["query"],
            folder / f"model-{variant.replace(' ', '_')}",
            pool=next((v.split("=")[1] for v in variant.split() if v.startswith("pool=")), "adaptive"),
            pool_query=next((v.split("=")[1] for v in variant.split() if v.startswith("query=")), "state"),
            layers=3 if "layers=3" in variant else 2,
            epochs=args.epochs,
            patience=args.epochs,
            max_steps=args.max_steps,
            channels=args.channels,
            fanout=tuple(int(f) for f in args.fanout.split(",")) + ((1,) if "layers=3" in variant else ()),
            strategy="recent",
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            text_embedder=HashingEmbedder(),
            budget=0,
            baselines=False,
            features="no-features" not in variant,
        ).metrics
    finally:
        model_module.RelationalLayer = RelationalLayer  # type: ignore[misc]
    thirds = [peaks[i * len(peaks) // 3 : (i + 1) * len(peaks) // 3] for i in range(3)]
    return {
        "val": round(metrics["val"]["auroc"], 4),
        "test": round(metrics["test"]["auroc"], 4),
        "val_history": [round(h["val"]["auroc"], 4) for h in metrics["history"]],
        "attention_peak_by_third": [round(statistics.fmean(t), 2) if t else None for t in thirds],
        "seconds": round(metrics["seconds"], 1),
    }


def earlier_results(options: dict) -> dict:
    """Variants an earlier invocation with the same options measured, so variants can run separately."""
    path = RESULTS / f"{options['name']}.json"
    if not path.exists():
        return {}
    earlier = json.loads(path.read_text())
    same = {k: v for k, v in earlier["options"].items() if k not in ("variants", "name")} == {
        k: v for k, v in options.items() if k not in ("variants", "name")
    }
    return earlier["results"] if same else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default=VARIANTS)
    parser.add_argument("--family", default="affinity")
    parser.add_argument("--snr", type=float, default=0.5)
    parser.add_argument("--entities", type=int, default=600)
    parser.add_argument("--rows-per-entity", type=int, default=20)
    parser.add_argument("--periods", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--max-steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--fanout", default="210,1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="relational_snr_diagnose", help="bench/results/NAME.json")
    args = parser.parse_args()
    started, results = time.perf_counter(), earlier_results(vars(args))
    with tempfile.TemporaryDirectory(prefix="relpool-diagnose-") as tmp:
        spec = SynthSpec(
            entities=args.entities,
            rows_per_entity=args.rows_per_entity,
            snr=args.snr,
            seed=args.seed,
            periods=args.periods,
            format="parquet",
            family=args.family,
        )
        truth = generate(spec, Path(tmp))
        oracle = {"val": truth["oracle"]["val_auroc"], "test": truth["oracle"]["test_auroc"]}
        print(f"oracle {oracle}", flush=True)
        for variant in args.variants.split(","):
            results[variant] = fit_variant(Path(tmp), truth, variant, args)
            print(f"{variant}: {results[variant]}", flush=True)
            write_result(
                args.name,
                {
                    "machine": machine(),
                    "versions": versions("torch", "torch-geometric"),
                    "options": vars(args),
                    "oracle": oracle,
                    "results": results,
                    "seconds": round(time.perf_counter() - started),
                },
            )


if __name__ == "__main__":
    main()

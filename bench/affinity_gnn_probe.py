"""Why the relational GNN does not learn the affinity family (issue 18): its own layers on the family's graph,
without the fit pipeline, seconds a run.

Between ``bench/affinity_probe.py`` (the pool alone, on one customer-week, solves it) and a ``relpool fit``
(12 min, does not): each example is one customer at a cutoff with ``--weeks`` weeks of transactions before it,
each transaction with its own product, as fit's sampler (recent 210,1) hands them to the network: products ->
transactions -> customers and the reverse edges. Columns: the customer's taste (cos, sin of its noisy hidden
style), a transaction's amount (standardised; the signal rows' side of the median is the week's state, the
mirrors' the opposite) and age in weeks, a product's style (cos, sin). Weekly counts log-uniform over
``--spread``, each week's k = round(S x M) signal rows within WINDOW of the style, k mirrors and the rest at least
GAP away; earlier weeks carry independent states. The label is the last week's state, flipped with
``--label-noise``; the test AUROC is against the state itself (1.0 reachable). Fresh draws every step, or
``--train`` examples drawn once and cycled (a fit of 600 customers trains on about 1,800).

The network is relpool's: row encoders (a 2-layer MLP per table standing in for the ResNet), ``--layers``
``RelationalLayer``s with ``--pool`` and ``--query`` (``RelationalLayer(query=...)``), an MLP head. Writes
bench/results/affinity_gnn_probe.json (keeping earlier variants run with the same data options).

    python bench/affinity_gnn_probe.py --variants "adaptive state,adaptive input" --steps 600
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from relpool.nn.gnn import RelationalLayer
from relpool.synth.affinity import GAP, HINT_NOISE, WINDOW

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, versions, write_result  # noqa: E402

C, T, P = "customers", "transactions", "products"
EDGES = [(T, "fk_customer", C), (C, "rev_fk_customer", T), (T, "fk_product", P), (P, "rev_fk_product", T)]
COLUMNS = {C: 2, T: 2, P: 2}


def draw(rng: np.random.Generator, n: int, args) -> tuple[dict, dict, np.ndarray, np.ndarray]:
    """n examples: node inputs, edge indices, noisy labels, states of the last week."""
    k = max(1, int(np.floor(args.snr * args.m + 0.5)))
    half = np.log(args.spread) / 2
    sizes = np.maximum(np.round(args.m * np.exp(rng.uniform(-half, half, (n, args.weeks)))), 2 * k).astype(int)
    flat = sizes.ravel()
    week = np.repeat(np.tile(np.arange(args.weeks), n), flat)  # 0 = the week before the cutoff
    owner = np.repeat(np.arange(n), sizes.sum(1))
    position = np.arange(flat.sum()) - np.repeat(np.cumsum(flat) - flat, flat)
    theta, state = rng.random(n), rng.random((n, args.weeks)) < 0.5
    near = position < k
    offset = np.where(near, rng.uniform(-WINDOW, WINDOW, len(owner)), rng.uniform(GAP, 1 - GAP, len(owner)))
    style = 2 * np.pi * (theta[owner] + offset)
    z = state[owner, week]
    magnitude = np.abs(rng.standard_normal(len(owner)))
    amount = np.where(position < 2 * k, np.where(near == z, magnitude, -magnitude), rng.standard_normal(len(owner)))
    age = week + rng.random(len(owner))
    hint = 2 * np.pi * (theta + rng.normal(0, HINT_NOISE, n))
    rows = np.arange(len(owner))
    x = {
        C: np.stack([np.cos(hint), np.sin(hint)], 1),
        T: np.stack([amount, age], 1),
        P: np.stack([np.cos(style), np.sin(style)], 1),
    }
    edges = {
        EDGES[0]: np.stack([rows, owner]),
        EDGES[1]: np.stack([owner, rows]),
        EDGES[2]: np.stack([rows, rows]),
        EDGES[3]: np.stack([rows, rows]),
    }
    label = state[:, 0] ^ (rng.random(n) < args.label_noise)
    as_tensors = {t: torch.tensor(v, dtype=torch.float32) for t, v in x.items()}
    return as_tensors, {e: torch.from_numpy(v) for e, v in edges.items()}, label, state[:, 0]


class Network(torch.nn.Module):
    def __init__(self, pool: str, query: str, args):
        super().__init__()
        c = args.channels
        self.encoders = torch.nn.ModuleDict(
            {
                t: torch.nn.Sequential(torch.nn.Linear(d, c), torch.nn.ReLU(), torch.nn.Linear(c, c))
                for t, d in COLUMNS.items()
            }
        )
        self.layers = torch.nn.ModuleList(
            [RelationalLayer(list(COLUMNS), EDGES, c, pool, query=query) for _ in range(args.layers)]
        )
        self.head = torch.nn.Sequential(torch.nn.Linear(c, c), torch.nn.ReLU(), torch.nn.Linear(c, 1))
        self.no_reverse = args.no_reverse  # transactions never see their customer: only the pool can compare

    def forward(self, x: dict, edges: dict) -> torch.Tensor:
        inputs = h = {t: self.encoders[t](v) for t, v in x.items()}
        edges = {e: i for e, i in edges.items() if e[0] != C or not self.no_reverse}
        for layer in self.layers:
            h = layer(h, edges, inputs)
        return self.head(h[C]).squeeze(-1)


def run(variant: str, args) -> dict:
    pool, query, *tweak = variant.split()
    torch.manual_seed(args.seed)
    model = Network(pool, query, args)
    for layer in model.layers:
        for op in layer.pool.values():
            if "uniform" in tweak:
                op.root = float("inf")  # every logit 0: the adaptive pool as a projected mean
            if "identity" in tweak:  # the value path starts as the identity: uniform attention is the mean
                with torch.no_grad():
                    for linear in (op.v, op.out):
                        linear.weight.copy_(torch.eye(args.channels))
                        linear.bias.zero_()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    rng = np.random.default_rng(args.seed)
    test_x, test_edges, _, test_state = draw(np.random.default_rng(10_000 + args.seed), args.test, args)
    fixed = [draw(rng, args.batch, args) for _ in range(args.train // args.batch)]  # --train: a finite set
    history = []
    for step in range(1, args.steps + 1):
        x, edges, label, _ = fixed[step % len(fixed)] if fixed else draw(rng, args.batch, args)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            model(x, edges), torch.tensor(label, dtype=torch.float32)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % args.every == 0 or step == args.steps:
            model.eval()
            with torch.no_grad():
                history.append(round(float(roc_auc_score(test_state, model(test_x, test_edges).numpy())), 4))
            model.train()
    return {"test_auroc": history[-1], "best": max(history), "history": history}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="adaptive state,adaptive input,adaptive both,mean state")
    parser.add_argument("--snr", type=float, default=0.5)
    parser.add_argument("--m", type=int, default=20)
    parser.add_argument("--spread", type=float, default=1.0)
    parser.add_argument("--weeks", type=int, default=1)
    parser.add_argument("--label-noise", type=float, default=0.1)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--train", type=int, default=0, help="examples drawn once and cycled (0: fresh each step)")
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-reverse", action="store_true", help="drop the customers -> transactions edges")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = {k: v for k, v in vars(args).items() if k != "variants"}
    path = RESULTS / "affinity_gnn_probe.json"
    runs = json.loads(path.read_text())["runs"] if path.exists() else []
    runs = [r for r in runs if not (r["options"] == data and r["variant"] in args.variants.split(","))]
    for variant in args.variants.split(","):
        started = time.perf_counter()
        out = {"variant": variant, "options": data, **run(variant, args)}
        out["seconds"] = round(time.perf_counter() - started, 1)
        runs.append(out)
        print(json.dumps({k: v for k, v in out.items() if k != "options"}), flush=True)
        write_result("affinity_gnn_probe", {"machine": machine(), "versions": versions("torch"), "runs": runs})


if __name__ == "__main__":
    main()

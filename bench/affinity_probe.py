"""Why no operator learns the affinity_sizes family: the pooling step alone, on the family's rows.

Each set is one customer-week of ``relpool synth --family affinity_sizes`` reduced to what a pool sees:
rows (cos, sin of the product's style, the amount's side of the median), the query (cos, sin of the
customer's noisy taste), the target the week's state. Signal rows lie within WINDOW of the hidden style,
mirrors and ordinary rows at least GAP away; sizes log-uniform over a 100-fold range around M = 20.
Model: a row MLP, the pool (queried by a linear map of the taste), a linear head; Adam, BCE. A pool that
only averages per-row features cannot compare a row with the query; attention can, if its logits can
grow sharp enough to separate rows WINDOW from rows GAP away: the ``x10`` variant multiplies the
adaptive pool's logit scale by 10 (a temperature), ``learned`` makes the scale a parameter.
Writes bench/results/affinity_probe.json.

    python bench/affinity_probe.py --steps 300 --snrs 0.5,0.05
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from relpool.nn import build_pool
from relpool.synth.affinity import GAP, HINT_NOISE, WINDOW

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402

VARIANTS = ("adaptive", "adaptive x10", "adaptive learned", "mean", "sum", "max")


def draw(rng: np.random.Generator, sets: int, snr: float, m: int = 20, spread: float = 100.0):
    k = max(1, int(np.floor(snr * m + 0.5)))
    sizes = np.maximum(np.round(m * np.exp(rng.uniform(-1, 1, sets) * np.log(spread) / 2)), 2 * k).astype(int)
    index = np.repeat(np.arange(sets), sizes)
    position = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    theta, z = rng.random(sets), rng.random(sets) < 0.5
    near = position < k
    offset = np.where(near, rng.uniform(-WINDOW, WINDOW, len(index)), rng.uniform(GAP, 1 - GAP, len(index)))
    style = 2 * np.pi * (theta[index] + offset)
    side = np.where(position < 2 * k, np.where(near, z[index], ~z[index]), rng.random(len(index)) < 0.5)
    rows = np.stack([np.cos(style), np.sin(style), np.where(side, 1.0, -1.0)], axis=1)
    hint = 2 * np.pi * (theta + rng.normal(0, HINT_NOISE, sets))
    query = np.stack([np.cos(hint), np.sin(hint)], axis=1)
    return tuple(torch.tensor(a, dtype=torch.float32) for a in (rows, query)), torch.from_numpy(index), z


class Probe(torch.nn.Module):
    def __init__(self, variant: str, width: int = 32):
        super().__init__()
        self.rows = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.ReLU(), torch.nn.Linear(width, width))
        self.query = torch.nn.Linear(2, width)
        self.pool = build_pool(variant.split()[0], width)
        if variant.endswith("x10"):
            self.pool.root /= 10  # logits x10
        elif variant.endswith("learned"):
            self.pool.root = torch.nn.Parameter(torch.tensor(float(self.pool.root)))
        self.head = torch.nn.Linear(width, 1)

    def forward(self, rows, query, index, n):
        return self.head(self.pool(self.rows(rows), index, n, query=self.query(query))).squeeze(-1)


def batches(rows, query, index, z, size, gen):
    order = torch.randperm(len(z), generator=gen)
    starts = torch.cumsum(torch.bincount(index, minlength=len(z)), 0) - torch.bincount(index, minlength=len(z))
    counts = torch.bincount(index, minlength=len(z))
    for chunk in order.split(size):
        pos = torch.cat([torch.arange(starts[i], starts[i] + counts[i]) for i in chunk.tolist()])
        local = torch.repeat_interleave(torch.arange(len(chunk)), counts[chunk])
        yield rows[pos], query[chunk], local, torch.from_numpy(z[chunk.numpy()]).float()


def run(variant: str, train, test, args) -> dict:
    torch.manual_seed(args.seed)
    model = Probe(variant)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.seed)
    (rows, query), index, z = train
    step = 0
    while step < args.steps:
        for r, q, i, y in batches(rows, query, index, z, args.batch, gen):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(r, q, i, len(y)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step == args.steps:
                break
    (rows, query), index, z = test
    with torch.no_grad():
        score = model(rows, query, index, len(z)).numpy()
    out = {"test_auroc": round(float(roc_auc_score(z, score)), 4)}
    if variant.endswith("learned"):
        out["learned_scale"] = round(1 / float(model.pool.root.detach()), 3)  # the logits' multiplier
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snrs", default="0.5,0.05")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    started, results = time.perf_counter(), {}
    for snr in map(float, args.snrs.split(",")):
        rng = np.random.default_rng(args.seed)
        train, test = draw(rng, args.train, snr), draw(rng, args.test, snr)
        results[str(snr)] = {}
        for variant in VARIANTS:
            t0 = time.perf_counter()
            out = {**run(variant, train, test, args), "seconds": round(time.perf_counter() - t0, 1)}
            results[str(snr)][variant] = out
            print(f"S={snr} {variant}: {out}", flush=True)
    write_result(
        "affinity_probe",
        {
            "machine": machine(),
            "versions": versions("torch", "torch-geometric"),
            "options": vars(args),
            "results": results,
            "seconds": round(time.perf_counter() - started),
        },
    )


if __name__ == "__main__":
    main()

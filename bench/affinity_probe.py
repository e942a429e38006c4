"""Why no operator learns the affinity_sizes family: the pooling step alone, on the family's rows.

Each set is one customer-week of ``relpool synth --family affinity_sizes`` reduced to what a pool sees:
rows (cos, sin of the product's style, the amount's side of the median), the query (cos, sin of the
customer's noisy taste), the target the week's state. Signal rows lie within WINDOW of the hidden style,
mirrors and ordinary rows at least GAP away; sizes log-uniform over a 100-fold range around M = 20.
Model: a row MLP, the pool (queried by a linear map of the taste), a linear head; Adam, BCE. A pool that
only averages per-row features cannot compare a row with the query; attention can, if its logits can
grow sharp enough to separate rows WINDOW from rows GAP away: the ``x10`` variant multiplies the
adaptive pool's logit scale by 10 (a temperature), ``learned`` makes the scale a parameter, ``h4`` gives it
4 heads (of 8 channels; 1 head of 32 otherwise).
``--rows-see-query`` gives the row MLP the query too, as relpool's GNN shows every transaction its own
customer (the edge back to it) before the customer pools them: relevance is then a per-row feature.
``--carrier level`` asks for an average instead of a sign: each set's target t ~ N(0, 1) is carried by a
varying number of rows (log-uniform over a 10-fold range around k, each amount t plus N(0, 0.2); as many
mirrors at -t), the loss is squared error, the score R^2 (the oracle averages the signal rows). A mean of
filtered rows then gives (k_i / M_i) t and a sum k_i t, so both must divide by a count they do not see
directly, where attention's weights are already normalised over the rows it picks.
Writes bench/results/<--results>.json.

    python bench/affinity_probe.py --steps 300 --snrs 0.5,0.05
    python bench/affinity_probe.py --rows-see-query --carrier level --head mlp --results affinity_probe_level
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
LEVEL_NOISE = 0.2  # --carrier level: a signal row's amount is the target plus this much normal noise
COUNT_SPREAD = 10.0  # --carrier level: max / min of a set's signal rows
METRIC = {"sign": "auroc", "level": "r2"}  # each carrier's test score


def draw(rng: np.random.Generator, sets: int, snr: float, carrier: str, m: int = 20, spread: float = 100.0):
    """Rows, queries, each row's set, the targets, and the oracle's score (None for the sign carrier)."""
    k = max(1, int(np.floor(snr * m + 0.5)))
    if carrier == "level":
        counts = np.maximum(np.round(k * np.exp(rng.uniform(-1, 1, sets) * np.log(COUNT_SPREAD) / 2)), 1)
    else:
        counts = np.full(sets, k)
    sizes = np.maximum(np.round(m * np.exp(rng.uniform(-1, 1, sets) * np.log(spread) / 2)), 2 * counts)
    sizes = sizes.astype(int)
    index = np.repeat(np.arange(sets), sizes)
    position = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    theta = rng.random(sets)
    near, mirror = position < counts[index], (position >= counts[index]) & (position < 2 * counts[index])
    offset = np.where(near, rng.uniform(-WINDOW, WINDOW, len(index)), rng.uniform(GAP, 1 - GAP, len(index)))
    style = 2 * np.pi * (theta[index] + offset)
    if carrier == "level":
        target = rng.standard_normal(sets)
        noise = LEVEL_NOISE * rng.standard_normal(len(index))
        amount = np.where(
            near, target[index] + noise, np.where(mirror, noise - target[index], rng.standard_normal(len(index)))
        )
        oracle = np.bincount(index, np.where(near, amount, 0.0), sets) / counts
    else:
        target = rng.random(sets) < 0.5
        side = np.where(near, target[index], np.where(mirror, ~target[index], rng.random(len(index)) < 0.5))
        amount, oracle = np.where(side, 1.0, -1.0), None
    rows = np.stack([np.cos(style), np.sin(style), amount], axis=1)
    hint = 2 * np.pi * (theta + rng.normal(0, HINT_NOISE, sets))
    query = np.stack([np.cos(hint), np.sin(hint)], axis=1)
    return tuple(torch.tensor(a, dtype=torch.float32) for a in (rows, query)), torch.from_numpy(index), target, oracle


class Probe(torch.nn.Module):
    def __init__(self, variant: str, rows_see_query: bool, head: str, width: int = 32):
        super().__init__()
        self.rows_see_query = rows_see_query
        inputs = 5 if rows_see_query else 3
        self.rows = torch.nn.Sequential(torch.nn.Linear(inputs, width), torch.nn.ReLU(), torch.nn.Linear(width, width))
        self.query = torch.nn.Linear(2, width)
        words = variant.split()
        heads = next((int(w[1:]) for w in words[1:] if w.startswith("h") and w[1:].isdigit()), 1)
        self.pool = build_pool(words[0], width, **({"heads": heads} if heads > 1 else {}))
        if variant.endswith("x10"):
            self.pool.root /= 10  # logits x10
        elif variant.endswith("learned"):
            self.pool.root = torch.nn.Parameter(torch.tensor(float(self.pool.root)))
        if head == "mlp":
            self.head = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.ReLU(), torch.nn.Linear(width, 1))
        else:
            self.head = torch.nn.Linear(width, 1)

    def forward(self, rows, query, index, n):
        if self.rows_see_query:
            rows = torch.cat([rows, query.index_select(0, index)], dim=1)
        return self.head(self.pool(self.rows(rows), index, n, query=self.query(query))).squeeze(-1)


def batches(rows, query, index, target, size, gen):
    n = len(target)
    counts = torch.bincount(index, minlength=n)
    starts = torch.cumsum(counts, 0) - counts
    for chunk in torch.randperm(n, generator=gen).split(size):
        pos = torch.cat([torch.arange(starts[i], starts[i] + counts[i]) for i in chunk.tolist()])
        local = torch.repeat_interleave(torch.arange(len(chunk)), counts[chunk])
        yield rows[pos], query[chunk], local, torch.from_numpy(target[chunk.numpy()]).float()


def score(carrier: str, target: np.ndarray, predicted: np.ndarray) -> float:
    """AUROC for the sign carrier, R^2 for the level one."""
    if carrier == "level":
        return 1 - float(np.mean((predicted - target) ** 2) / np.var(target))
    return float(roc_auc_score(target, predicted))


def run(variant: str, train, test, args, seed: int) -> dict:
    torch.manual_seed(seed)
    model = Probe(variant, args.rows_see_query, args.head)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(seed)
    loss_of = (
        torch.nn.functional.mse_loss
        if args.carrier == "level"
        else torch.nn.functional.binary_cross_entropy_with_logits
    )
    (rows, query), index, target, _ = train
    step = 0
    while step < args.steps:
        for r, q, i, y in batches(rows, query, index, target, args.batch, gen):
            loss = loss_of(model(r, q, i, len(y)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step == args.steps:
                break
    (rows, query), index, target, _ = test
    with torch.no_grad():
        predicted = model(rows, query, index, len(target)).numpy()
    out = {f"test_{METRIC[args.carrier]}": round(score(args.carrier, target, predicted), 4)}
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
    parser.add_argument("--seeds", default="0", help="comma-separated; each draws its own sets")
    parser.add_argument("--carrier", choices=tuple(METRIC), default="sign")
    parser.add_argument("--rows-see-query", action="store_true", help="the row MLP reads the query too")
    parser.add_argument("--head", choices=("linear", "mlp"), default="linear")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--results", default="affinity_probe", help="bench/results/<name>.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started, results, oracle = time.perf_counter(), {}, {}
    metric = f"test_{METRIC[args.carrier]}"
    for snr in map(float, args.snrs.split(",")):
        results[str(snr)] = {variant: {} for variant in args.variants.split(",")}
        for seed in map(int, args.seeds.split(",")):
            rng = np.random.default_rng(seed)
            train, test = draw(rng, args.train, snr, args.carrier), draw(rng, args.test, snr, args.carrier)
            if args.carrier == "level":
                oracle.setdefault(str(snr), {})[str(seed)] = round(score("level", test[2], test[3]), 4)
                print(f"S={snr} seed {seed} oracle R^2: {oracle[str(snr)][str(seed)]}", flush=True)
            for variant, runs in results[str(snr)].items():
                t0 = time.perf_counter()
                out = {**run(variant, train, test, args, seed), "seconds": round(time.perf_counter() - t0, 1)}
                runs[str(seed)] = out
                print(f"S={snr} seed {seed} {variant}: {out}", flush=True)
        for variant, runs in results[str(snr)].items():
            values = [out[metric] for out in runs.values()]
            results[str(snr)][variant] = {
                "seeds": runs,
                "mean": round(float(np.mean(values)), 4),
                "sd": round(float(np.std(values)), 4),
            }
    write_result(
        args.results,
        {
            "machine": machine(),
            "versions": versions("torch", "torch-geometric"),
            "options": vars(args),
            "results": results,
            **({"oracle_r2": oracle} if oracle else {}),
            "seconds": round(time.perf_counter() - started),
        },
    )


if __name__ == "__main__":
    main()

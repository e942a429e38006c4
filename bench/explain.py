"""Faithfulness of ``Model.explain`` (issue 15): deletion curves and precision@k against known signal rows.

(a) Deletion: for N test examples, the example's subgraph is sampled exactly as ``explain`` samples it
(one seed, :data:`EVAL_SEED`), its rows are scored as ``explain`` scores them (``--score occlusion``:
``relpool.nn.occlusion.occlude``, each row's |delta output| when it alone is taken out; ``--score ig``:
integrated gradients alone, ``relpool.nn.attribution.attribute``, explain's row score before issue 15),
and the top-k rows (k = 1, 3, 10; the
entity's own row excluded) are removed: a removed node sends no messages (every edge of the batch whose
source is that node is dropped, in every edge type and layer) and the prediction is recomputed on the
same batch. The effect is |delta probability|. The reference is k random rows of the same subgraph
(``--draws`` seeded draws per example). Run on nycflights13 (the binary demo task) and on a
``relpool synth`` database, each with a model this script trains.

(b) Precision@k on synth databases: a customer's label at cutoff c is carried by its transactions of
the week before c that buy a product of the marker category ("electronics"); precision@k is the share
of the explanation's top-k transaction rows (distinct rows, best first) that are such rows, per pool.
"precision@k (attainable)" divides by min(k, signal rows in the sampled subgraph) instead of k. "precision by
attention" (attention pools only) ranks the rows by the attention weight along their path instead, the
``attention`` explain reports beside each row's score.

    python bench/explain.py                                   # small defaults (~10 min on 2 busy cores)
    python bench/explain.py --seeds 0,1,2 --examples 200      # bigger
    python bench/explain.py --pools adaptive --seeds 0 --examples 20 --no-flights   # a smoke test
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rich.console import Console

import relpool
from relpool.encode import HashingEmbedder
from relpool.nn.attribution import attribute
from relpool.nn.occlusion import blend, occlude
from relpool.synth import SynthSpec, generate
from relpool.synth.draw import MARKER
from relpool.synth.spec import PERIOD_SECONDS
from relpool.train.data import cutoff_seconds, gather_frames
from relpool.train.explain import _auto_features, _seed_embeddings
from relpool.train.explain_background import background as _background
from relpool.train.explain_rows import entity_row, path_attention
from relpool.train.split_predictions import EVAL_SEED

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mib, versions, write_result  # noqa: E402

FLIGHTS_QUERY = "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum"
KS = (1, 3, 10)
WHICH = ("all", "direct", "all_attention", "direct_attention")  # deletion candidates x the order ranked by
SCORE = "occlusion"  # --score: the row score ranked ("occlusion": explain's; "ig": integrated gradients alone)
QUIET = Console(quiet=True)


# ---------------------------------------------------------------- one example: sample, attribute, delete


class Example:
    """One entity's sampled subgraph, its attributions and masked re-predictions."""

    def __init__(self, model: relpool.Model, session, entity, cutoff: pd.Timestamp):
        loop, spec = session.loop, model.spec
        key_text = str(entity)
        self.loop, self.table = loop, spec.entity_table
        inspection = session.prepared.inspection
        seed, _ = entity_row(inspection, self.table, key_text)
        seconds = cutoff_seconds(pd.Series([cutoff]))
        self.batch = loop.sampler(EVAL_SEED).sample(self.table, np.array([seed]), seconds)
        self.frames = gather_frames(loop.tables, self.batch)
        background = {
            t: _background(loop, t, int(seconds[0])) for t in self.batch.node_types if self.batch[t].num_nodes
        }
        # a hybrid GNN's auto-features of the example, as explain computes them (None for a plain GNN)
        self.features = model._features(
            inspection, session.bound, pd.DataFrame({"entity": [entity], "cutoff": [cutoff]})
        )
        self.attribution = attribute(
            loop.model, self.frames, self.batch, None, None, background, features=self.features
        )
        self.scores = self.attribution.scores
        if SCORE == "occlusion":
            targets = self.attribution.targets
            rows = occlude(loop.model, self.frames, self.batch, None, None, background, targets, features=self.features)
            self.scores = blend(self.scores, rows)
        self.probability = float(torch.sigmoid(self.attribution.output[0]))
        embedded = _seed_embeddings(loop.model, self.frames, self.batch, self.features)
        auto = _auto_features(loop.model, embedded, self.features, self.attribution.targets, inspection)
        self.feature_total = 0.0 if auto is None else float(auto.scores.sum())  # shares explain's one total
        # every sampled node but the entity's own row, best first (explain's order: score, table, n_id, index)
        self.nodes = sorted(
            (
                (-float(score), t, int(n_id), i)
                for t in self.scores
                for i, (n_id, score) in enumerate(zip(self.batch[t].n_id.tolist(), self.scores[t].sum(dim=1).tolist()))
                if not (t == self.table and i == 0)
            )
        )
        with torch.no_grad():
            model_net = loop.model
            self.x = {
                t: model_net.tables[t](self.frames[t], self.batch[t].num_nodes)
                + model_net.age(self.batch[t].age, self.batch[t].has_time)
                for t in self.batch.node_types
                if self.batch[t].num_nodes
            }
        self.check = abs(self.predict_without([]) - self.probability)  # the replicated forward matches
        # the rows that send messages straight to the entity (its own child rows: flights, transactions,
        # sessions); removing one of them leaves a subgraph the model has seen (an entity with one row fewer),
        # where removing a parent row (a product, an airport) leaves a child without the parent it always has
        direct = set()
        for e in self.batch.edge_types:
            if e[2] == self.table:
                index = self.batch[e].edge_index
                direct.update((e[0], int(j)) for j in index[0][index[1] == 0].tolist())
        self.direct = direct
        with torch.no_grad():  # empty for pools without weights
            self.attention = path_attention(self.batch, self.table, loop.model.attention(self.frames, self.batch))

    def predict_without(self, removed: list[tuple[str, int]]) -> float:
        """The probability with the given (node type, batch index) nodes sending no messages."""
        net = self.loop.model
        gone: dict[str, list[int]] = {}
        for t, i in removed:
            gone.setdefault(t, []).append(i)
        edge_index = {}
        for e in self.batch.edge_types:
            index = self.batch[e].edge_index
            if e[0] in gone:
                index = index[:, ~torch.isin(index[0], torch.tensor(gone[e[0]], dtype=index.dtype))]
            edge_index[e] = index
        with torch.no_grad():
            x = self.x
            for layer in net.layers:
                x = layer(x, edge_index, self.x)
            out = net.head_outputs(x[self.table][:1], features=self.features)
        return float(torch.sigmoid(out[0]))

    def deletion(
        self, k: int, draws: int, rng: np.random.Generator, direct: bool = False
    ) -> tuple[float, float, float | None] | None:
        """(|delta p| removing the top-k rows, mean |delta p| removing k random rows, |delta p| removing the
        top-k rows by attention weight, None without weights); None if < k rows. ``direct``: only among the
        entity's direct rows (the top-k by either order and the random ones)."""
        nodes = [(t, i) for _, t, _, i in self.nodes if not direct or (t, i) in self.direct]
        if len(nodes) < k:
            return None
        top = abs(self.predict_without(nodes[:k]) - self.probability)
        random = [
            abs(self.predict_without([nodes[j] for j in rng.choice(len(nodes), k, replace=False)]) - self.probability)
            for _ in range(draws)
        ]
        attended = None
        if self.attention:  # explain --order attention: weighed rows by weight, then the rest in score order
            by_weight = sorted(nodes, key=lambda n: -self.attention.get(n, -1.0))  # stable: ties keep score order
            attended = abs(self.predict_without(by_weight[:k]) - self.probability)
        return top, float(np.mean(random)), attended

    def occlusion_rows(self, table: str) -> list[int]:
        """Distinct dense ids of ``table``'s sampled rows by |delta p| when each alone sends no messages
        (a leave-one-out reference ranking, not what explain computes)."""
        effect: dict[int, float] = {}
        for _, t, n_id, i in self.nodes:
            if t == table:
                effect[n_id] = max(effect.get(n_id, 0.0), abs(self.predict_without([(t, i)]) - self.probability))
        return sorted(effect, key=lambda n: -effect[n])

    def attention_rows(self, table: str) -> list[int]:
        """Distinct dense ids of ``table``'s sampled rows by the attention weight along their path (the weight
        explain reports beside the score), best first; empty for a pool without weights."""
        weight: dict[int, float] = {}
        for _, t, n_id, i in self.nodes:
            if t == table and (t, i) in self.attention:
                weight[n_id] = max(weight.get(n_id, 0.0), self.attention[t, i])
        return sorted(weight, key=lambda n: -weight[n])

    def top_rows(self, table: str) -> list[int]:
        """Distinct dense ids of ``table``'s sampled rows, best first."""
        seen: dict[int, None] = {}
        for _, t, n_id, _ in self.nodes:
            if t == table:
                seen.setdefault(n_id, None)
        return list(seen)


def deletion_summary(effects: dict[int, list[tuple[float, float]]]) -> dict:
    out = {}
    for k, pairs in effects.items():
        if not pairs:
            out[str(k)] = None
            continue
        top, random = np.array(pairs).T
        out[str(k)] = {
            "examples": len(pairs),
            "top_k_mean_abs_delta_p": float(top.mean()),
            "random_k_mean_abs_delta_p": float(random.mean()),
            "ratio": float(top.mean() / random.mean()) if random.mean() > 0 else None,
            "share_top_beats_random": float((top > random).mean()),
        }
    return out


# ---------------------------------------------------------------- nycflights13


def flights(args, tmp: Path) -> dict:
    started = time.perf_counter()
    out = tmp / "flights-model"
    model = relpool.fit(
        "nycflights13",
        FLIGHTS_QUERY,
        out,
        epochs=args.flights_epochs,
        max_steps=args.flights_steps,
        seed=0,
        text_embedder="hashing",
        baselines=False,
        console=QUIET,
    )
    fit_seconds = time.perf_counter() - started
    test = pd.read_parquet(out / "predictions_test.parquet")
    key = "entity"
    picked = test.sample(n=min(args.examples, len(test)), random_state=0)
    session = model._prepare("nycflights13", QUIET)
    effects, checks, sizes = run_deletion(model, session, picked, key, args)
    explained = model.explain("nycflights13", str(picked[key].iloc[0]), at=str(picked["cutoff"].iloc[0]), top=10)
    timed = time.perf_counter()
    for row in picked.head(5).itertuples(index=False):  # after the first call: the database is prepared
        model.explain("nycflights13", str(getattr(row, key)), at=str(row.cutoff), top=10)
    explain_seconds = (time.perf_counter() - timed) / min(5, len(picked))
    return {
        "query": FLIGHTS_QUERY,
        "model": f"relpool.fit defaults, {args.flights_epochs} epochs x {args.flights_steps} steps, hashing text",
        "test_metrics": model.metrics["test"],
        "fit_seconds": fit_seconds,
        "examples": len(picked),
        "cutoffs": sorted({str(c) for c in picked["cutoff"]}),
        "mean_sampled_rows": float(np.mean(sizes)),
        "max_forward_mismatch": max(checks),
        "model_explain_agrees": agrees(model, session, picked, key, explained),
        "explain_seconds_after_first": explain_seconds,
        "deletion": deletion_summary(effects["all"]),
        "deletion_direct_rows": deletion_summary(effects["direct"]),
        "deletion_by_attention": deletion_summary(effects["all_attention"]),
        "deletion_direct_rows_by_attention": deletion_summary(effects["direct_attention"]),
        "seconds": time.perf_counter() - started,
    }


def run_deletion(model, session, picked: pd.DataFrame, key: str, args):
    effects: dict[str, dict[int, list[tuple[float, float]]]] = {w: {k: [] for k in KS} for w in WHICH}
    checks, sizes = [], []
    for n, row in enumerate(picked.itertuples(index=False)):
        example = Example(model, session, getattr(row, key), pd.Timestamp(row.cutoff))
        checks.append(example.check)
        sizes.append(len(example.nodes))
        rng = np.random.default_rng([args.seed_draws, n])
        collect(example, effects, args.draws, rng)
    return effects, checks, sizes


def collect(example: Example, effects: dict, draws: int, rng: np.random.Generator) -> None:
    """Deletion effects by score into ``effects[which]`` and, for a pool with weights, by attention into
    ``effects[which + "_attention"]`` (against the same random draws)."""
    for which in ("all", "direct"):
        for k in KS:
            found = example.deletion(k, draws, rng, direct=which == "direct")
            if found is None:
                continue
            top, random, attended = found
            effects[which][k].append((top, random))
            if attended is not None:
                effects[f"{which}_attention"][k].append((attended, random))


def agrees(model, session, picked, key, explained: dict) -> bool:
    """Our replicated sampling and attribution give ``Model.explain``'s prediction and row scores (first example)."""
    row = picked.iloc[0]
    example = Example(model, session, row[key], pd.Timestamp(row["cutoff"]))
    scores = example.scores
    total = float(sum(s.sum() for s in scores.values())) + example.feature_total
    own = float(scores[example.table][0].sum())
    ours = sorted([-s for s, *_ in example.nodes] + [own], reverse=True)[: len(explained["rows"])]
    theirs = [r["score"] for r in explained["rows"]]
    return bool(
        abs(explained["prediction"] - example.probability) < 1e-5
        and np.allclose(np.array(ours) / total, theirs, rtol=1e-4, atol=1e-7)
    )


# ---------------------------------------------------------------- synth


def synth_run(args, tmp: Path, seed: int) -> dict:
    started = time.perf_counter()
    spec = SynthSpec(
        entities=args.entities, rows_per_entity=args.rows_per_entity, snr=args.snr, periods=args.periods, seed=seed
    )
    folder = tmp / f"synth-{seed}"
    truth = generate(spec, folder)
    db = folder / truth["database"]
    result: dict = {
        "seed": seed,
        "signal_rows_per_week": spec.signal_rows,
        "oracle_auroc": truth["oracle"],
        "pools": {},
    }
    for pool in args.pools.split(","):
        pool_started = time.perf_counter()
        model = relpool.fit(
            db,
            truth["query"],
            tmp / f"model-{seed}-{pool}",
            pool=pool,
            epochs=args.epochs,
            patience=args.epochs,
            max_steps=args.max_steps,
            channels=args.channels,
            fanout=(args.rows_per_entity, 1),
            strategy="recent",
            batch_size=args.batch_size,
            lr=args.lr,
            seed=seed,
            text_embedder=HashingEmbedder(),
            baselines=False,
            console=QUIET,
        )
        fit_seconds = time.perf_counter() - pool_started
        test = pd.read_parquet(tmp / f"model-{seed}-{pool}" / "predictions_test.parquet")
        key = "entity"
        picked = test.sample(n=min(args.examples, len(test)), random_state=seed)
        session = model._prepare(db, QUIET)
        signal = signal_rows(session.prepared.inspection, picked, key)
        effects: dict[str, dict[int, list[tuple[float, float]]]] = {w: {k: [] for k in KS} for w in WHICH}
        hits: dict[int, list[float]] = {k: [] for k in KS}
        attainable: dict[int, list[float]] = {k: [] for k in KS}
        occluded: dict[int, list[float]] = {k: [] for k in KS}
        attended: dict[int, list[float]] = {k: [] for k in KS}
        base_rate, in_subgraph, checks = [], [], []
        for n, row in enumerate(picked.itertuples(index=False)):
            entity = getattr(row, key)
            example = Example(model, session, entity, pd.Timestamp(row.cutoff))
            checks.append(example.check)
            rng = np.random.default_rng([args.seed_draws, seed, n])
            collect(example, effects, args.draws, rng)
            truth_rows = signal.get((entity, pd.Timestamp(row.cutoff)), set())
            ranked = example.top_rows("transactions")
            sampled = set(ranked) & truth_rows
            in_subgraph.append(len(sampled))
            base_rate.append(len(sampled) / len(ranked) if ranked else 0.0)
            by_occlusion = example.occlusion_rows("transactions")
            by_attention = example.attention_rows("transactions")
            for k in KS:
                if example.attention:  # a pool with weights; an example without transactions counts 0, as above
                    attended[k].append(len(set(by_attention[:k]) & truth_rows) / k)
                occluded[k].append(len(set(by_occlusion[:k]) & truth_rows) / k)
                found = len(set(ranked[:k]) & truth_rows)
                hits[k].append(found / k)
                if sampled:
                    attainable[k].append(found / min(k, len(sampled)))
        result["pools"][pool] = {
            "test_auroc": model.metrics["test"]["auroc"],
            "fit_seconds": fit_seconds,
            "examples": len(picked),
            "max_forward_mismatch": max(checks),
            "signal_rows_in_subgraph_mean": float(np.mean(in_subgraph)),
            "signal_share_of_sampled_transactions": float(np.mean(base_rate)),
            "precision": {str(k): float(np.mean(v)) for k, v in hits.items()},
            "precision_attainable": {str(k): float(np.mean(v)) if v else None for k, v in attainable.items()},
            "precision_leave_one_out_reference": {str(k): float(np.mean(v)) for k, v in occluded.items()},
            "precision_by_attention": {str(k): float(np.mean(v)) if v else None for k, v in attended.items()},
            "deletion": deletion_summary(effects["all"]),
            "deletion_direct_rows": deletion_summary(effects["direct"]),
            "deletion_by_attention": deletion_summary(effects["all_attention"]),
            "deletion_direct_rows_by_attention": deletion_summary(effects["direct_attention"]),
        }
        print(f"  synth seed {seed} {pool}: {summary_line(result['pools'][pool])}", flush=True)
    result["seconds"] = time.perf_counter() - started
    return result


def signal_rows(inspection, picked: pd.DataFrame, key: str) -> dict[tuple, set[int]]:
    """(customer, cutoff) -> dense ids (rowids) of its marker-category transactions in (cutoff - 1 week, cutoff]."""
    db = inspection.database
    marker = [r[0] for r in db.execute("SELECT product_id FROM products WHERE category = ?", [MARKER]).fetchall()]
    frame = db.execute(
        "SELECT rowid AS i, customer_id, purchased_at, product_id FROM transactions WHERE customer_id IN "
        f"({', '.join(str(int(c)) for c in picked[key].unique())})"
    ).df()
    frame = frame[frame["product_id"].isin(marker)].assign(purchased_at=lambda f: pd.to_datetime(f["purchased_at"]))
    out: dict[tuple, set[int]] = {}
    week = pd.Timedelta(seconds=PERIOD_SECONDS)
    for row in picked.itertuples(index=False):
        c, cutoff = getattr(row, key), pd.Timestamp(row.cutoff)
        mine = frame[
            (frame["customer_id"] == c) & (frame["purchased_at"] > cutoff - week) & (frame["purchased_at"] <= cutoff)
        ]
        out[(c, cutoff)] = set(mine["i"].astype(int).tolist())
    return out


def ratios(d: dict) -> str:
    return " ".join(f"k={k}:{d[k]['ratio']:.2f}x" for k in d if d[k] and d[k]["ratio"] is not None)


def summary_line(run: dict) -> str:
    p = run["precision"]
    return (
        f"AUROC {run['test_auroc']:.3f}  P@1/3/10 {p['1']:.2f}/{p['3']:.2f}/{p['10']:.2f}  "
        f"deletion {ratios(run['deletion'])}  direct rows {ratios(run['deletion_direct_rows'])}"
    )


def aggregate(runs: list[dict]) -> dict:
    """Mean and standard deviation over seeds of each pool's headline figures."""
    out = {}
    for pool in runs[0]["pools"]:
        figures: dict[str, list[float]] = {}
        for run in runs:
            r = run["pools"][pool]
            figures.setdefault("test_auroc", []).append(r["test_auroc"])
            for k in map(str, KS):
                figures.setdefault(f"precision@{k}", []).append(r["precision"][k])
                figures.setdefault(f"precision_leave_one_out@{k}", []).append(r["precision_leave_one_out_reference"][k])
                if (r.get("precision_by_attention") or {}).get(k) is not None:
                    figures.setdefault(f"precision_by_attention@{k}", []).append(r["precision_by_attention"][k])
                if r["precision_attainable"][k] is not None:
                    figures.setdefault(f"precision_attainable@{k}", []).append(r["precision_attainable"][k])
                for name, part in (
                    ("deletion_ratio", "deletion"),
                    ("deletion_direct_ratio", "deletion_direct_rows"),
                    ("deletion_by_attention_ratio", "deletion_by_attention"),
                    ("deletion_direct_by_attention_ratio", "deletion_direct_rows_by_attention"),
                ):
                    if (r.get(part) or {}).get(k) and r[part][k]["ratio"] is not None:
                        figures.setdefault(f"{name}@{k}", []).append(r[part][k]["ratio"])
        out[pool] = {
            name: {"mean": float(np.mean(v)), "std": float(np.std(v)), "seeds": len(v)} for name, v in figures.items()
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=60, help="test examples per model")
    parser.add_argument("--draws", type=int, default=10, help="random deletions per example and k")
    parser.add_argument("--seed-draws", type=int, default=0)
    parser.add_argument("--seeds", default="0", help="synth database and training seeds, comma-separated")
    parser.add_argument("--pools", default="adaptive,mean,sum")
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--rows-per-entity", type=int, default=30)
    parser.add_argument("--snr", type=float, default=0.1)
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--max-steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--flights-epochs", type=int, default=2)
    parser.add_argument("--flights-steps", type=int, default=20)
    parser.add_argument("--no-flights", action="store_true")
    parser.add_argument("--name", default="explain", help="bench/results/NAME.json")
    parser.add_argument("--score", choices=("occlusion", "ig"), default="occlusion", help="the row score ranked")
    args = parser.parse_args()
    global SCORE
    SCORE = args.score
    torch.set_num_threads(2)
    started = time.perf_counter()
    result: dict = {
        "machine": machine(),
        "versions": versions("torch", "torch-geometric"),
        "options": {k: v for k, v in vars(args).items()},
        "ks": list(KS),
    }
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_flights:
            result["nycflights13"] = flights(args, Path(tmp))
            f = result["nycflights13"]
            print(
                f"nycflights13 deletion {ratios(f['deletion'])}  direct rows {ratios(f['deletion_direct_rows'])}",
                flush=True,
            )
            write_result(args.name, result)
        runs = []
        for seed in args.seeds.split(","):
            runs.append(synth_run(args, Path(tmp), int(seed)))
            result["synth"] = {
                "spec": {
                    "entities": args.entities,
                    "rows_per_entity": args.rows_per_entity,
                    "snr": args.snr,
                    "periods": args.periods,
                    "fanout": [args.rows_per_entity, 1],
                    "strategy": "recent",
                },
                "runs": runs,
                "summary": aggregate(runs),
            }
            write_result(args.name, result)  # each seed as it finishes
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mib"] = peak_rss_mib()
    path = write_result(args.name, result)
    print(f"-> {path} in {result['seconds']:.0f} s")


if __name__ == "__main__":
    main()

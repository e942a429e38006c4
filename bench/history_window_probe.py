"""Do stale rows stop the GNN on the affinity families, and which pool wins once they are gone (issue 18)?

A run with ``:window`` samples with fit's ``--history-window 7 days``: every history (transactions and
sessions) holds the rows of the last 7 days before the cutoff only; with ``recent`` sampling and a fanout
above the largest week, every one of them. (Until session 12 the window was imitated by cutting older
transactions out of each batch; those figures are in the file's git history, commit 323dd5c.) Each run is a
real ``relpool fit`` (plain GNN, ``--budget 0``: the network asked for alone, recent sampling, patience =
epochs) on a ``relpool synth`` database of 600 customers, M = 20, 6 weeks; the family's label is the latent
state of the week before the cutoff, so rows older than 7 days are noise for it.

A run is ``FAMILY:S:POOL:FANOUT[:window]`` (POOL ``adaptive+INIT``: with ``--pool-option init=INIT``, ``adaptive+hN``:
with ``--pool-option heads=N``, both: ``adaptive+h4+identity``;
``adaptive@QUERY``: with ``--pool-query QUERY``).
Writes bench/results/history_window_probe.json, or ``--results NAME``.json (earlier runs with the same options
kept, so runs can be added later).

    python bench/history_window_probe.py --runs affinity:0.5:adaptive:210,affinity:0.5:adaptive:210:window
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import relpool
from relpool.encode import HashingEmbedder
from relpool.synth import SynthSpec, generate

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, peak_rss_mib, versions, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WINDOW = "7 days"
DRAWN: dict[Path, dict] = {}  # database folder -> its truth


def run(name: str, args, seed: int, folder: Path) -> dict:
    """One run ``FAMILY:S:POOL:FANOUT[:window]`` with ``seed``: its fit's figures beside the oracle's."""
    family, snr, pool, fanout, *window = name.split(":")
    where = folder / f"{family}-{snr}-{seed}"
    if where not in DRAWN:  # the runs of one (family, S, seed) share their database
        drawn = SynthSpec(
            entities=args.entities,
            rows_per_entity=args.rows_per_entity,
            snr=float(snr),
            seed=seed,
            periods=args.periods,
            format="parquet",
            family=family,
            size_spread=args.size_spread,
        )
        DRAWN[where] = generate(drawn, where)
    truth = DRAWN[where]
    metrics = relpool.fit(
        where / truth["database"],
        truth["query"],
        folder / f"model-{name.replace(':', '-')}-{seed}",
        pool=pool.split("+")[0].split("@")[0],
        pool_options=pool_options(pool),
        pool_query=pool.split("@")[1] if "@" in pool else "state",
        features=False,
        budget=0,
        epochs=args.epochs,
        patience=args.epochs,
        max_steps=40,
        channels=32,
        fanout=(int(fanout), 1),
        strategy="recent",
        batch_size=128,
        lr=3e-3,
        seed=seed,
        text_embedder=HashingEmbedder(),
        history_window=WINDOW if window == ["window"] else None,
    ).metrics
    history = [h["val"]["auroc"] for h in metrics["history"]]
    oracle = truth["oracle"]
    learned = next((i + 1 for i, v in enumerate(history) if v >= oracle["val_auroc"] - 0.05), None)
    return {
        "oracle_val": oracle["val_auroc"],
        "oracle_test": oracle["test_auroc"],
        "val": metrics["val"]["auroc"],
        "test": metrics["test"]["auroc"],
        "best_epoch": metrics["best_epoch"],
        "epoch_within_0.05_of_oracle": learned,
        "seconds": round(metrics["seconds"], 1),
        "val_history": [round(v, 4) for v in history],
    }


def pool_options(pool: str) -> dict | None:
    """``--pool-option``s of a run's POOL: after each ``+``, ``hN`` is N heads, anything else the init. An adaptive
    POOL without ``hN`` has one head, as every ``adaptive`` run recorded before fit's default became 4 heads."""
    name, *given = pool.split("@")[0].split("+")
    options = {"heads": 1} if name == "adaptive" else {}
    for option in given:
        options.update({"heads": int(option[1:])} if option[0] == "h" and option[1:].isdigit() else {"init": option})
    return options or None


def plot(result: dict, name: str) -> None:
    """Validation AUROC by epoch, one panel per (family, S), one colour per pool: each seed thin, the oracle dotted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({tuple(spec.split(":")[:2]) for spec in result["runs"]})
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
    for ax, (family, snr) in zip(axes[0], panels):
        specs = [spec for spec in sorted(result["runs"]) if spec.split(":")[:2] == [family, snr]]
        for colour, spec in enumerate(specs):
            seeds = result["runs"][spec]
            for i, run in enumerate(seeds.values()):
                label = f"{spec.split(':')[2]}{'' if spec.endswith(':window') else ' (all rows)'}" if i == 0 else None
                ax.plot(range(1, len(run["val_history"]) + 1), run["val_history"], color=f"C{colour}", label=label)
        oracle = statistics.fmean(r["oracle_val"] for spec in specs for r in result["runs"][spec].values())
        ax.axhline(oracle, color="black", linestyle=":", label="oracle (Bayes)")
        ax.set(title=f"{family}, S = {snr}: one line per seed", xlabel="epoch", ylabel="validation AUROC")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(ROOT / "docs" / f"{name}.png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="", help="comma-separated FAMILY:S:POOL:FANOUT[:window]")
    parser.add_argument("--plot", action="store_true", help="draw the recorded runs of FAMILY into docs/ and stop")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--entities", type=int, default=600)
    parser.add_argument("--rows-per-entity", type=int, default=20)
    parser.add_argument("--periods", type=int, default=6)
    parser.add_argument("--size-spread", type=float, default=100.0)
    parser.add_argument("--results", default="history_window_probe", help="the JSON's name in bench/results/")
    args = parser.parse_args()
    if args.plot:
        return plot(json.loads((RESULTS / f"{args.results}.json").read_text()), args.results)
    options = {
        **{k: v for k, v in vars(args).items() if k not in ("runs", "seeds", "results", "plot")},
        "window": f"fit --history-window {WINDOW}",
    }
    path = RESULTS / f"{args.results}.json"
    earlier = json.loads(path.read_text()) if path.exists() else {}
    result = {
        "options": options,
        "machine": machine(),
        "versions": versions("torch", "torch-geometric"),
        "runs": earlier.get("runs", {}) if earlier.get("options") == options else {},
    }
    with tempfile.TemporaryDirectory(prefix="relpool-window-") as tmp:
        for spec in args.runs.split(","):
            for seed in map(int, args.seeds.split(",")):
                started = time.perf_counter()
                found = run(spec, args, seed, Path(tmp))
                result["runs"].setdefault(spec, {})[str(seed)] = found
                result["peak_rss_mib"] = peak_rss_mib()
                write_result(args.results, result)
                print(
                    f"{spec} seed {seed}: val {found['val']:.4f} test {found['test']:.4f} "
                    f"(oracle {found['oracle_test']:.4f}), best epoch {found['best_epoch']}, "
                    f"{time.perf_counter() - started:.0f} s",
                    flush=True,
                )


if __name__ == "__main__":
    main()

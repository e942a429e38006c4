"""``bench/relational_snr.py --families``: the S sweep over several synth families and seeds at once.

Per family, per S and per seed a database is drawn (the seed also seeds the fits), every pooling operator is
fitted and both baselines run; a family's entry in relational_snr.json's ``families`` holds, as the single
family run does, ``runs`` (per S: the oracle and every model, the mean over seeds of val and test AUROC, their
spread and the per-seed figures; R^2 for the level family, its ``metric``), ``retained`` and ``epochs_to_learn`` (on the seeds' mean validation
history). Families already recorded with the same options are kept, so families can run separately, and so
are a family's runs of other S values recorded with otherwise the same options, so S values can too, even at
once (one process per core: each save reads the entry again and keeps the other's S values). The plot
(docs/relational_snr_families.png) draws test AUROC vs S with the oracle, one panel per family.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import relational_snr as snr
from common import RESULTS, machine, peak_rss_mib, versions, write_result

from relpool.synth import SynthSpec, generate

PLOT = Path(__file__).resolve().parents[1] / "docs" / "relational_snr_families.png"


def mean_run(per_seed: dict[str, dict]) -> dict:
    """The seeds' mean of val and test (and of the validation history, epoch by epoch), beside each seed's."""
    runs = list(per_seed.values())
    out = {
        "val": statistics.fmean(r["val"] for r in runs),
        "test": statistics.fmean(r["test"] for r in runs),
        "test_sd": statistics.stdev([r["test"] for r in runs]) if len(runs) > 1 else 0.0,
        "seeds": per_seed,
    }
    histories = [r["val_history"] for r in runs if "val_history" in r]
    if histories:
        out["val_history"] = [round(statistics.fmean(h), 4) for h in zip(*histories)]
    return out


def family_spec(args, family: str, s: float, seed: int) -> SynthSpec:
    return SynthSpec(
        entities=args.entities,
        rows_per_entity=args.rows_per_entity,
        snr=s,
        seed=seed,
        periods=args.periods,
        format="parquet",
        family=family,
        size_spread=args.size_spread,
    )


def refuse_repeated_signal(args, family: str, snrs: list[float]) -> None:
    """Stop before anything runs when two S values plant the same number of signal rows a week (S x M rounded):
    they draw the same database, so the second would be a rerun of the first under another name (at M = 20,
    S = 0.07 is S = 0.05: one row a week; session 19 ran it before noticing)."""
    planted: dict[int, float] = {}
    for s in snrs:
        rows = family_spec(args, family, s, 0).signal_rows
        if rows in planted:
            raise SystemExit(
                f"--snrs {planted[rows]:g} and {s:g} both plant {rows} signal row(s) a week at --rows-per-entity "
                f"{args.rows_per_entity} (S x M rounded), so they draw the same {family} database; "
                "pick S values whose S x M round apart, or a larger --rows-per-entity"
            )
        planted[rows] = s


def one_family(family: str, args, folder: Path, console, save, recorded: Callable[[], dict | None]) -> None:
    """Seed by seed (a whole curve first), each S; ``save(entry)`` after every (seed, S), so a stopped run keeps
    what it measured. ``recorded()``: the family's entry as recorded now with the same options but other S
    values, whose runs of S values not asked here are kept beside these (so S values can run separately)."""
    snrs, pools = [float(s) for s in args.snrs.split(",")], args.pools.split(",")
    models = [*pools, *snr.BASELINES]
    per_seed: dict[str, dict[str, dict[str, dict]]] = {str(s): {m: {} for m in ["oracle", *models]} for s in snrs}
    rows: dict[str, int] = {}
    spent = {str(s): 0.0 for s in snrs}  # seconds per S value in this invocation
    for seed in map(int, args.seeds.split(",")):
        seeded = type(args)(**{**vars(args), "seed": seed})
        for s in snrs:
            began = time.perf_counter()
            spec = family_spec(args, family, s, seed)
            where = folder / f"{family}-s{s}-seed{seed}"
            truth = generate(spec, where)
            metric = spec.metric
            oracle = {"val": truth["oracle"][f"val_{metric}"], "test": truth["oracle"][f"test_{metric}"]}
            per_seed[str(s)]["oracle"][str(seed)] = oracle
            rows[str(s)] = truth["rows_total"]
            for model in models:
                run = (
                    snr.baseline(where, truth, model, seed)
                    if model in snr.BASELINES
                    else snr.gnn(where, truth, model, seeded)
                )
                per_seed[str(s)][model][str(seed)] = run
                console.print(
                    f"{family} S={s:<5} seed {seed} {model:<9} test {metric} {run['test']:.4f} "
                    f"(oracle {oracle['test']:.4f}) in {run['seconds']:.0f} s"
                    + (f", {run['served']} network served" if "served" in run else "")
                )
            spent[str(s)] += time.perf_counter() - began
            earlier = recorded() or {}
            kept = {k: v for k, v in earlier.get("runs", {}).items() if k not in per_seed}
            runs = kept | {
                key: {"rows_total": rows[key], **{m: mean_run(r) for m, r in done.items()}}
                for key, done in per_seed.items()
                if done["oracle"]
            }
            seeds = {k: v for k, v in earlier.get("seeds_per_snr", {}).items() if k in kept}
            entry = {
                "metric": metric,
                "seeds_per_snr": seeds | {key: len(done["oracle"]) for key, done in per_seed.items()},
                "runs": runs,
                **seconds_of(earlier, kept, {k: round(v) for k, v in spent.items() if k in runs}),
            }
            snr.summarise(entry, sorted(map(float, runs), reverse=True), models, metric)
            save(entry)


def sweep(args, console) -> None:
    """Run every family of ``--families`` and record it under ``families`` in relational_snr.json."""
    path = RESULTS / "relational_snr.json"
    options = {k: v for k, v in vars(args).items() if k not in ("report_only", "seed", "record_as")}

    def save(family: str, entry: dict) -> None:
        # Read again each time: another invocation may have recorded other families meanwhile.
        result = json.loads(path.read_text()) if path.exists() else {}
        families = result.setdefault("families", {})
        families[family] = {
            "options": {**options, "snrs": ",".join(sorted(entry["runs"], key=float, reverse=True))},  # kept S too
            **entry,
            "machine": machine(),
            "versions": versions("torch", "torch-geometric", "lightgbm"),
            "peak_rss_mib": peak_rss_mib(),
        }
        write_result("relational_snr", result)
        plot(families, PLOT)

    def recorded(key: str) -> dict | None:
        """The entry recorded under ``key`` now, if its options are these but for the S values."""
        entry = (json.loads(path.read_text()).get("families", {}) if path.exists() else {}).get(key)
        return entry if entry and without_snrs(entry["options"]) == without_snrs(options) else None

    planned = []  # (family, its key), all checked first
    for family in args.families.split(","):
        key = f"{family}{args.record_as}" if args.record_as else family
        earlier = recorded(key)
        kept = {float(s) for s in earlier["runs"]} if earlier else set()
        refuse_repeated_signal(args, family, sorted(kept | {float(s) for s in args.snrs.split(",")}))
        planned.append((family, key))
    with tempfile.TemporaryDirectory(prefix="relpool-snr-families-") as tmp:
        for family, key in planned:
            one_family(family, args, Path(tmp), console, lambda e, k=key: save(k, e), lambda k=key: recorded(k))


def resummarise(args) -> None:
    """``--families F --report-only``: each recorded entry of ``F`` (with ``--record-as``) summarised again
    (``retained``, ``epochs_to_learn``, ``goal``) from its runs by today's code, and the plot redrawn; no run."""
    path = RESULTS / "relational_snr.json"
    result = json.loads(path.read_text())
    families = result["families"]
    for family in args.families.split(","):
        entry = families[f"{family}{args.record_as}" if args.record_as else family]
        snrs = sorted(map(float, entry["runs"]), reverse=True)
        models = [m for m in entry["runs"][str(snrs[0])] if m not in ("oracle", "rows_total")]
        snr.summarise(entry, snrs, models, entry.get("metric", "auroc"))
    write_result("relational_snr", result)
    plot(families, PLOT)


def seconds_of(earlier: dict, kept: dict, spent: dict[str, int]) -> dict:
    """The entry's ``seconds`` (all its S values') and ``seconds_per_snr``; the kept runs of an entry recorded
    before seconds were kept per S count with their whole ``seconds`` once, as ``seconds_unsplit``."""
    legacy = "seconds_per_snr" not in earlier
    unsplit = (earlier.get("seconds", 0) if legacy else earlier.get("seconds_unsplit", 0)) if kept else 0
    per_snr = {k: v for k, v in earlier.get("seconds_per_snr", {}).items() if k in kept} | spent
    return {"seconds": unsplit + sum(per_snr.values()), "seconds_per_snr": per_snr} | (
        {"seconds_unsplit": unsplit} if unsplit else {}
    )


def without_snrs(options: dict) -> dict:
    return {k: v for k, v in options.items() if k != "snrs"}


PLOT_COLUMNS = 4
MODEL_ORDER = ("adaptive", "adaptive+identity", "mean", "sum", "max", "gated", "entity", "autofeat")
"""Panels per row of the plot: a dozen recorded entries in one row made it 6,000 pixels wide."""


def plot(families: dict, path: Path) -> None:
    columns = min(PLOT_COLUMNS, len(families))
    rows = -(-len(families) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4.2 * rows), squeeze=False)
    for ax in axes.flat[len(families) :]:
        ax.set_visible(False)
    for ax, (family, entry) in zip(axes.flat, families.items()):
        snrs = sorted(map(float, entry["runs"]), reverse=True)
        models = [m for m in entry["runs"][str(snrs[0])] if m not in ("oracle", "rows_total")]
        for model in ["oracle", *models]:
            ys = [entry["runs"][str(s)][model]["test"] for s in snrs]
            errs = [entry["runs"][str(s)][model].get("test_sd", 0) for s in snrs]
            style = {"color": "black", "linestyle": ":", "marker": "x"} if model == "oracle" else {"marker": "o"}
            if model in MODEL_ORDER:  # one colour per model in every panel
                style["color"] = plt.get_cmap("tab10")(MODEL_ORDER.index(model))
            if model in snr.BASELINES:
                style["linestyle"] = "--"
            ax.errorbar(snrs, ys, yerr=errs, label=model, capsize=2, **style)
        metric = entry.get("metric", "auroc")
        ax.axhline(snr.CHANCE[metric], color="grey", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xticks(snrs, [f"{s:g}" for s in snrs], minor=False)
        ax.set_xticks([], minor=True)
        label = f"test {'R^2' if metric == 'r2' else 'AUROC'} (mean of seeds, +- sd)"
        ax.set(xlabel="signal fraction S (log scale)", ylabel=label, title=family)
        ax.legend(fontsize=7, ncols=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

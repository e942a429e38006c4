"""``relpool synth``: write a synthetic shop database, its intended labels and truth.json into a new folder.

DIR/shop.sqlite or DIR/shop/<table>.parquet   the database (give this to relpool)
DIR/labels.parquet                            the generator's label and oracle score per (customer, cutoff)
DIR/truth.json                                the query to run, schema, how the signal is planted, the oracle

The folder is built under a temporary name and renamed when complete, so an interrupted run leaves no
half-written database. Customers are drawn in chunks of about CHUNK_ROWS rows, so memory stays flat.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from relpool.errors import RelpoolError
from relpool.synth import affinity, affinity_level, affinity_sizes, draw, interaction, sizes
from relpool.synth.oracle import oracle_scores
from relpool.synth.spec import PERIOD_SECONDS, SynthSpec
from relpool.synth.tables import describe, schemas
from relpool.synth.writers import open_writer
from relpool.tasks import Binary, Regression

CHUNK_ROWS = 2_000_000
# Each: products (the catalog), chunk, planted, ORACLE_SCORE.
FAMILIES = {
    "signal": draw,
    "interaction": interaction,
    "affinity": affinity,
    "sizes": sizes,
    "affinity_sizes": affinity_sizes,
    "affinity_level": affinity_level,
}


def database_name(spec: SynthSpec) -> str:
    return "shop.sqlite" if spec.format == "sqlite" else "shop"


def generate(spec: SynthSpec, out: str | Path) -> dict:
    """Write the database for ``spec`` into the new folder ``out``; return truth.json's content."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RelpoolError(f"--out {out} already exists and is not an empty folder; choose a new folder")
    if not out.parent.is_dir():
        raise RelpoolError(f"--out {out}: the parent folder {out.parent} does not exist")
    started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        rows, labels, signal_rows = _write(spec, staging)
        truth = _truth(spec, rows, labels, signal_rows, time.perf_counter() - started)
        (staging / "truth.json").write_text(json.dumps(truth, indent=2, default=str) + "\n")
        staging.chmod(0o755)  # mkdtemp's 0o700 is for the half-written state only
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return truth


def _write(spec: SynthSpec, folder: Path) -> tuple[dict[str, int], pa.Table, int]:
    per_customer = spec.periods * (spec.rows_per_entity + spec.sessions_per_period + 1)
    step = max(1, CHUNK_ROWS // per_customer)
    family = FAMILIES[spec.family]
    writer = open_writer(spec.format, folder / database_name(spec), schemas(spec.family))
    catalog = family.products(spec)
    writer.append("products", catalog)
    rows = {"customers": 0, "products": catalog.num_rows, "transactions": 0, "sessions": 0}
    labels, signal_rows = [], 0
    try:
        for index, lo in enumerate(range(0, spec.entities, step)):
            part = family.chunk(spec, index, lo, min(lo + step, spec.entities), catalog, rows["sessions"])
            for table, data in part.tables.items():
                writer.append(table, data)
                rows[table] += data.num_rows
            labels.append(part.labels)
            signal_rows += part.signal_rows
    finally:
        writer.close()
    labels = pa.concat_tables(labels)
    pq.write_table(labels, folder / "labels.parquet")
    return rows, labels, signal_rows


def _truth(spec: SynthSpec, rows: dict[str, int], labels: pa.Table, signal_rows: int, seconds: float) -> dict:
    cutoffs = {split: [str(c) for c in values] for split, values in spec.cutoffs().items()}
    return {
        "database": database_name(spec),
        "format": spec.format,
        "spec": spec.to_dict(),
        "query": spec.query,
        "task": {
            "type": (Binary if spec.metric == "auroc" else Regression).name,
            "metric": spec.metric,  # the oracle's, and the benchmarks'; fit reports it beside its others
            "window_days": PERIOD_SECONDS // 86400,
            "cutoffs": cutoffs,
            "note": "relpool's default cutoffs for this query; labels.parquet holds every (customer, cutoff)",
        },
        "tables": {name: {"rows": rows[name], **info} for name, info in describe(spec.family).items()},
        "rows_total": sum(rows.values()),
        "family": spec.family,
        "signal": FAMILIES[spec.family].planted(spec, signal_rows),
        "distractor": {
            "column": "customers.loyalty_score",
            "effect": f"P(latent = 1) = sigmoid({spec.distractor_strength} x loyalty_score)"
            if spec.metric == "auroc"
            else f"the week's level ~ normal({spec.distractor_strength} x loyalty_score, 1)",
        },
        "label": {
            "definition": "the week's latent state flipped with probability label_noise, realised as one "
            "sessions row with kind = 'checkout' in the following week"
            if spec.metric == "auroc"
            else "the week's level plus noise, realised as the basket_value of the one checkout in the following week",
            "file": "labels.parquet",
        },
        "oracle": oracle_scores(spec, labels, FAMILIES[spec.family].ORACLE_SCORE),
        "seconds": round(seconds, 3),
    }

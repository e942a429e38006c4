"""Vectorised draws of the synthetic shop, one chunk of customers at a time (numpy -> Arrow, no per-row objects).

How the signal is planted: each customer has a latent state per week, z[i, k] ~ Bernoulli(sigmoid(b * loyalty)).
Exactly round(S x M) of the customer's M transactions in week k buy a product of the marker category, and
their amount lies above the amount distribution's median iff z[i, k] = 1. The other transactions buy other
products with amounts from the same (normal) distribution, so no column of a transaction alone tells
signal from noise: only the product it points to and its recency do. The label at the end of week k is
z[i, k], flipped with probability ``label_noise``, realised as one 'checkout' session in week k + 1.
Marker transactions of earlier weeks carry earlier, independent states: stale, hence noise too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from relpool.synth.spec import PERIOD_SECONDS, START, SynthSpec
from relpool.synth.tables import SCHEMAS

MARKER = "electronics"
CATEGORIES = np.array(["grocery", "home", "garden", "toys", "books", "sports", "beauty", "fashion", "pets"])
MARKER_SHARE = 0.1
REGIONS = np.array(["north", "south", "east", "west", "central"])
CHANNELS = np.array(["web", "app", "store"])
DEVICES = np.array(["mobile", "desktop", "tablet"])
ADJECTIVES = np.array(["classic", "compact", "deluxe", "eco", "smart", "sturdy", "vintage", "bright", "soft", "mini"])
NOUNS = np.array(["lamp", "kettle", "backpack", "bottle", "chair", "speaker", "blanket", "watch", "basket", "mug"])
AMOUNT_MEDIAN, AMOUNT_SCALE = 50.0, 15.0  # normal, so a standardised amount is linear in the signal
ORACLE_SCORE = "the customer's latent state of the week before the cutoff, read from any signal row"


@dataclass
class Chunk:
    tables: dict[str, pa.Table]
    labels: pa.Table  # customer_id, cutoff, label, oracle, distractor: the intended task, one row per cutoff
    signal_rows: int


def rng_for(spec: SynthSpec, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([spec.seed, *stream]))


def products(spec: SynthSpec) -> pa.Table:
    rng = rng_for(spec, 0)
    n = spec.products
    category = rng.choice(CATEGORIES, n).astype(object)
    category[rng.permutation(n)[: max(1, int(n * MARKER_SHARE))]] = MARKER
    name = np.char.add(np.char.add(rng.choice(ADJECTIVES, n), " "), rng.choice(NOUNS, n))
    return pa.table(
        {
            "product_id": np.arange(1, n + 1),
            "category": category,
            "price": np.round(np.exp(rng.normal(3.0, 0.8, n)), 2),
            "name": name,
        },
        schema=SCHEMAS["products"],
    )


def times_in_weeks(rng: np.random.Generator, weeks: np.ndarray) -> np.ndarray:
    """Uniform times in (start of week, end of week], weeks 1-based."""
    offsets = (weeks - 1) * PERIOD_SECONDS + rng.integers(1, PERIOD_SECONDS + 1, weeks.shape)
    return START + offsets.astype("timedelta64[s]")


def amounts(rng: np.random.Generator, signal: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Normal amounts; a signal row's lies above the median iff its week's state is 1 (the same marginal)."""
    x = rng.standard_normal(signal.shape)
    x = np.where(signal, np.where(z, 1.0, -1.0) * np.abs(x), x)
    return np.round(AMOUNT_MEDIAN + AMOUNT_SCALE * x, 2)


def latent_states(
    rng: np.random.Generator, spec: SynthSpec, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Customers lo..hi-1's ids, loyalty (the distractor), weekly latent states and labels (the state, flipped
    with the label noise): what every family draws first, in this order, so a family's output is reproducible."""
    n, p = hi - lo, spec.periods
    ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
    loyalty = rng.normal(0.0, 1.0, n)
    z = rng.random((n, p)) < 1 / (1 + np.exp(-spec.distractor_strength * loyalty))[:, None]
    y = z[:, : p - 1] ^ (rng.random((n, p - 1)) < spec.label_noise)
    return ids, loyalty, z, y


def chunk(spec: SynthSpec, index: int, lo: int, hi: int, catalog: pa.Table, session_offset: int) -> Chunk:
    """Customers lo..hi-1 (0-based) with all their transactions and sessions; deterministic in (seed, index)."""
    rng = rng_for(spec, 1, index)
    n, p = hi - lo, spec.periods
    ids, loyalty, z, y = latent_states(rng, spec, lo, hi)
    return Chunk(
        {
            "customers": customers_table(rng, ids, loyalty, SCHEMAS["customers"]),
            "transactions": transactions(spec, rng, ids, z, catalog),
            "sessions": sessions(spec, rng, ids, y, session_offset),
        },
        labels(spec, ids, y, z, loyalty),
        n * p * spec.signal_rows,
    )


def customers_table(
    rng: np.random.Generator, ids: np.ndarray, loyalty: np.ndarray, schema: pa.Schema, **extra: np.ndarray
) -> pa.Table:
    """The customers' columns every family shares, drawn in this order, then a family's own ``extra`` ones."""
    n = len(ids)
    columns = {
        "customer_id": ids,
        "signup_time": START - rng.integers(1, 365 * 86400, n).astype("timedelta64[s]"),
        "region": rng.choice(REGIONS, n),
        "age": rng.integers(18, 81, n),
        "loyalty_score": np.round(loyalty, 3),
    }
    return pa.table({**columns, **extra}, schema=schema)


def transactions(
    spec: SynthSpec, rng: np.random.Generator, ids: np.ndarray, z: np.ndarray, catalog: pa.Table
) -> pa.Table:
    n, p, m, k = len(ids), spec.periods, spec.rows_per_entity, spec.signal_rows
    shape = (n, p, m)
    signal = np.zeros(shape, dtype=bool)
    signal[:, :, :k] = True
    category = catalog["category"].to_numpy(zero_copy_only=False)
    product_ids = catalog["product_id"].to_numpy()
    marker, other = product_ids[category == MARKER], product_ids[category != MARKER]
    product = np.where(signal, rng.choice(marker, shape), rng.choice(other, shape))
    weeks = np.broadcast_to(np.arange(1, p + 1)[None, :, None], shape)
    first_id = (ids[0] - 1) * p * m + 1
    return pa.table(
        {
            "transaction_id": np.arange(first_id, first_id + n * p * m, dtype=np.int64),
            "customer_id": np.repeat(ids, p * m),
            "product_id": product.ravel(),
            "purchased_at": times_in_weeks(rng, weeks).ravel(),
            "amount": amounts(rng, signal, z[:, :, None]).ravel(),
            "quantity": rng.integers(1, 6, n * p * m),
            "channel": rng.choice(CHANNELS, n * p * m),
        },
        schema=SCHEMAS["transactions"],
    )


def sessions(spec: SynthSpec, rng: np.random.Generator, ids: np.ndarray, y: np.ndarray, offset: int) -> pa.Table:
    """Browse/search sessions every week (noise), plus one checkout in week k + 1 for each positive label of week k."""
    n, p, s = len(ids), spec.periods, spec.sessions_per_period
    noise_customer = np.repeat(ids, p * s)
    noise_week = np.tile(np.repeat(np.arange(1, p + 1), s), n)
    who, week = np.nonzero(y)
    customer = np.concatenate([noise_customer, ids[who]])
    weeks = np.concatenate([noise_week, week + 2])  # y's column j is the label at the end of week j + 1
    kind = np.concatenate(
        [rng.choice(np.array(["browse", "search"]), len(noise_customer)), np.full(len(who), "checkout")]
    )
    started = times_in_weeks(rng, weeks)
    if ids[0] == 1:  # one event exactly at the end of the last week: relpool's default test cutoff is then week p - 1
        started[p * s - 1] = START + np.timedelta64(p * PERIOD_SECONDS, "s")
    order = np.lexsort((started, customer))
    rows = len(customer)
    return pa.table(
        {
            "session_id": np.arange(offset + 1, offset + rows + 1, dtype=np.int64),
            "customer_id": customer[order],
            "started_at": started[order],
            "kind": kind[order],
            "duration_s": np.round(rng.exponential(240.0, rows), 1),
            "device": rng.choice(DEVICES, rows),
        },
        schema=SCHEMAS["sessions"],
    )


def labels(spec: SynthSpec, ids: np.ndarray, y: np.ndarray, z: np.ndarray, loyalty: np.ndarray) -> pa.Table:
    n, weeks = len(ids), spec.periods - 1
    cutoffs = START + (np.arange(1, weeks + 1) * PERIOD_SECONDS).astype("timedelta64[s]")
    return pa.table(
        {
            "customer_id": np.repeat(ids, weeks),
            "cutoff": np.tile(cutoffs, n),
            "label": y.ravel(),
            "oracle": z[:, :weeks].ravel().astype(np.float64),
            "distractor": np.repeat(loyalty, weeks),
        }
    )


def planted(spec: SynthSpec, signal_rows: int) -> dict:
    """truth.json's account of the signal."""
    return {
        "planted_in": "transactions",
        "recognised_by": f"the product's category is '{MARKER}' and purchased_at is in (cutoff - 7 days, "
        f"cutoff]; older marker rows carry earlier, independent weekly states",
        "carrier": f"amount > {AMOUNT_MEDIAN:g} (the median) iff the latent state is 1; noise rows draw "
        f"amounts from the same normal({AMOUNT_MEDIAN:g}, {AMOUNT_SCALE:g})",
        "rows_per_customer_week": spec.signal_rows,
        "fraction": spec.signal_rows / spec.rows_per_entity,
        "rows": signal_rows,
    }

"""The interaction family: the signal is a condition on three rows at once, which no one column shows.

Each customer has a home category (a customers column). As in the signal family, a customer's week
has a latent state z ~ Bernoulli(sigmoid(b * loyalty)) and M transactions, of which exactly k =
round(S x M) buy a product of the customer's home category; the other M - k buy products of other
categories. A home-category row's amount lies above the median iff z = 1. Every home-category row is
paired with a *mirror* row (another category) that takes the opposite half, so each week holds k
amounts drawn above the median and k below, plus M - 2k ordinary ones, whatever z is. Hence the
week's multiset of amounts, its categories, prices, quantities and channels have the same joint
distribution for z = 0 and z = 1: COUNT / MEAN / MAX / ... of any one column of any related table
(what the autofeat baseline aggregates) carry no information about z. Only "amount > median on a row
whose product's category equals the customer's home_category" does: a join of transaction, product
and customer compared on one row. The oracle is therefore the signal family's (the state, read from
any such row), with the same Bayes AUROC of 1 - label_noise.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from relpool.synth.draw import (
    AMOUNT_MEDIAN,
    AMOUNT_SCALE,
    CHANNELS,
    REGIONS,
    Chunk,
    labels,
    latent_states,
    rng_for,
    sessions,
    times_in_weeks,
)
from relpool.synth.draw import products as products  # the plain catalog
from relpool.synth.spec import START, SynthSpec
from relpool.synth.tables import schemas

ORACLE_SCORE = "the customer's latent state of the week before the cutoff, read from any home-category row"


def chunk(spec: SynthSpec, index: int, lo: int, hi: int, catalog: pa.Table, session_offset: int) -> Chunk:
    """Customers lo..hi-1 (0-based) with all their transactions and sessions; deterministic in (seed, index)."""
    rng = rng_for(spec, 2, index)
    n, p = hi - lo, spec.periods
    ids, loyalty, z, y = latent_states(rng, spec, lo, hi)
    categories = np.unique(catalog["category"].to_numpy(zero_copy_only=False))
    home = rng.integers(0, len(categories), n)
    customers = pa.table(
        {
            "customer_id": ids,
            "signup_time": START - rng.integers(1, 365 * 86400, n).astype("timedelta64[s]"),
            "region": rng.choice(REGIONS, n),
            "age": rng.integers(18, 81, n),
            "loyalty_score": np.round(loyalty, 3),
            "home_category": categories[home],
        },
        schema=schemas("interaction")["customers"],
    )
    return Chunk(
        {
            "customers": customers,
            "transactions": transactions(spec, rng, ids, z, home, catalog, categories),
            "sessions": sessions(spec, rng, ids, y, session_offset),
        },
        labels(spec, ids, y, z, loyalty),
        n * p * spec.signal_rows,
    )


def transactions(
    spec: SynthSpec,
    rng: np.random.Generator,
    ids: np.ndarray,
    z: np.ndarray,
    home: np.ndarray,
    catalog: pa.Table,
    categories: np.ndarray,
) -> pa.Table:
    """Positions 0..k-1 of each week are the home-category rows, k..2k-1 their mirrors, the rest ordinary."""
    n, p, m, k = len(ids), spec.periods, spec.rows_per_entity, spec.signal_rows
    shape = (n, p, m)
    position = np.arange(m)[None, None, :]
    at_home = np.broadcast_to(position < k, shape)
    product = products_for(rng, catalog, categories, np.broadcast_to(home[:, None, None], shape), at_home)
    half = np.maximum(AMOUNT_SCALE * np.abs(rng.standard_normal(shape)), 0.01)  # off the median after rounding
    up = np.where(position < k, z[:, :, None], ~z[:, :, None])  # the home rows' side of the median, mirrors opposite
    x = np.where(position < 2 * k, np.where(up, half, -half), AMOUNT_SCALE * rng.standard_normal(shape))
    weeks = np.broadcast_to(np.arange(1, p + 1)[None, :, None], shape)
    first_id = (ids[0] - 1) * p * m + 1
    return pa.table(
        {
            "transaction_id": np.arange(first_id, first_id + n * p * m, dtype=np.int64),
            "customer_id": np.repeat(ids, p * m),
            "product_id": product.ravel(),
            "purchased_at": times_in_weeks(rng, weeks).ravel(),
            "amount": np.round(AMOUNT_MEDIAN + x, 2).ravel(),
            "quantity": rng.integers(1, 6, n * p * m),
            "channel": rng.choice(CHANNELS, n * p * m),
        },
        schema=schemas("interaction")["transactions"],
    )


def products_for(
    rng: np.random.Generator, catalog: pa.Table, categories: np.ndarray, home: np.ndarray, at_home: np.ndarray
) -> np.ndarray:
    """A uniform product of category ``home`` where ``at_home``, else a uniform one of any other category."""
    category = np.searchsorted(categories, catalog["category"].to_numpy(zero_copy_only=False))
    order = np.argsort(category, kind="stable")
    ids = catalog["product_id"].to_numpy()[order]
    count = np.bincount(category, minlength=len(categories))
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    u = rng.random(home.shape)
    inside = start[home] + np.floor(u * count[home]).astype(np.int64)
    outside = np.floor(u * (len(ids) - count[home])).astype(np.int64)
    outside += np.where(outside >= start[home], count[home], 0)  # skip over the home category's block
    return ids[np.where(at_home, inside, outside)]


def planted(spec: SynthSpec, signal_rows: int) -> dict:
    """truth.json's account of the signal."""
    return {
        "planted_in": "transactions, read together with their product and their customer",
        "recognised_by": "a transaction in (cutoff - 7 days, cutoff] whose product's category equals the "
        "customer's home_category; older ones carry earlier, independent weekly states",
        "carrier": f"amount > {AMOUNT_MEDIAN:g} (the median) iff the latent state is 1; each such row has a "
        f"mirror row of another category on the other side of the median, the rest draw normal({AMOUNT_MEDIAN:g}, "
        f"{AMOUNT_SCALE:g})",
        "aggregates": "every column of every table, and the multiset of a week's amounts, has the same "
        "distribution whatever the state: no aggregate of one column carries the signal",
        "rows_per_customer_week": spec.signal_rows,
        "fraction": spec.signal_rows / spec.rows_per_entity,
        "rows": signal_rows,
    }

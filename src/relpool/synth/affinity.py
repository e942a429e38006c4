"""The affinity family: which rows carry the signal depends on the customer, so no fixed row filter finds them.

Every product has a style, a point on a circle (``products.style_x``, ``style_y`` = cos, sin of its angle),
and every customer a hidden favourite style theta (a product's). Its ``customers.taste_x``, ``taste_y`` show
theta only noisily (theta plus normal noise of HINT_NOISE turns). In each week, k = round(S x M) of the
customer's transactions buy products within WINDOW turns of theta, and their amount lies above the median
iff the week's latent state is 1; k mirror rows take the opposite side of the median, and the rest are
ordinary; mirror and ordinary rows buy products at least GAP turns away from theta. As in the interaction
family, a week's amounts (as a multiset), categories, prices and styles then have the same distribution
whatever the state, so no aggregate of one column carries it; unlike it, the rows that matter differ from
customer to customer along a continuum (a product one customer's signal row buys is noise for most others),
so a per-row filter followed by a mean or sum cannot single them out: only a comparison of the row's style
with the customer's taste can. Given the taste, the rows within WINDOW + 2.5 HINT_NOISE of it are exactly
the signal rows for 99 % of customers (noise rows start at GAP - 2.5 HINT_NOISE), so the oracle is the
state, read from those rows (Bayes AUROC 1 - label_noise).

``chunk(..., sizes=...)`` draws each customer's weekly count; the ``affinity_sizes`` family passes heavy-tailed ones.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from relpool.synth.draw import (
    AMOUNT_MEDIAN,
    AMOUNT_SCALE,
    Chunk,
    customers_table,
    labels,
    latent_states,
    rng_for,
    sessions,
)
from relpool.synth.draw import products as plain_products
from relpool.synth.ragged import transactions_table, week_layout
from relpool.synth.spec import SynthSpec
from relpool.synth.tables import schemas

WINDOW = 0.02  # turns: a signal row's product style is this close to the customer's hidden style
GAP = 2 * WINDOW  # no mirror or ordinary row's product comes closer than this
HINT_NOISE = WINDOW / 5  # the taste columns' error, in turns
ORACLE_SCORE = "the customer's latent state of the week before the cutoff, read from any row near its style"
Sizes = Callable[[np.random.Generator, SynthSpec, int, int], np.ndarray]


def fixed_sizes(rng: np.random.Generator, spec: SynthSpec, n: int, least: int) -> np.ndarray:
    return np.full(n, spec.rows_per_entity, dtype=np.int64)


def products(spec: SynthSpec) -> pa.Table:
    """The plain catalog (the same draws) with each product's style, a uniform angle, as two columns."""
    catalog = plain_products(spec)
    turn = 2 * np.pi * rng_for(spec, 3).random(catalog.num_rows)
    return pa.table(
        {**catalog.to_pydict(), "style_x": np.cos(turn), "style_y": np.sin(turn)},
        schema=schemas("affinity")["products"],
    )


def styles(catalog: pa.Table) -> np.ndarray:
    """Each product's style in turns, [0, 1)."""
    x, y = (catalog[c].to_numpy() for c in ("style_x", "style_y"))
    return np.mod(np.arctan2(y, x) / (2 * np.pi), 1.0)


def chunk(
    spec: SynthSpec,
    index: int,
    lo: int,
    hi: int,
    catalog: pa.Table,
    session_offset: int,
    sizes: Sizes = fixed_sizes,
) -> Chunk:
    """Customers lo..hi-1 (0-based) with all their transactions and sessions; deterministic in (seed, index)."""
    rng = rng_for(spec, 4, index)
    ids, loyalty, z, y = latent_states(rng, spec, lo, hi)
    n, k = len(ids), spec.signal_rows
    style = styles(catalog)
    theta = style[rng.integers(0, len(style), n)]
    hint = 2 * np.pi * (theta + rng.normal(0.0, HINT_NOISE, n))
    customer, week, position = week_layout(sizes(rng, spec, n, 2 * k), spec.periods)
    signal = position < k
    product = choose_products(rng, catalog, style, theta[customer], signal)
    half = np.maximum(AMOUNT_SCALE * np.abs(rng.standard_normal(len(customer))), 0.01)  # off the median
    state = z[customer, week - 1]
    up = np.where(signal, state, ~state)  # signal rows' side of the median, mirrors opposite
    x = np.where(position < 2 * k, np.where(up, half, -half), AMOUNT_SCALE * rng.standard_normal(len(customer)))
    tables = schemas(spec.family)
    return Chunk(
        {
            "customers": customers_table(
                rng, ids, loyalty, tables["customers"], taste_x=np.cos(hint), taste_y=np.sin(hint)
            ),
            "transactions": transactions_table(
                spec, rng, ids, (customer, week), product, np.round(AMOUNT_MEDIAN + x, 2), tables["transactions"]
            ),
            "sessions": sessions(spec, rng, ids, y, session_offset),
        },
        labels(spec, ids, y, z, loyalty),
        int(signal.sum()),
    )


def choose_products(
    rng: np.random.Generator, catalog: pa.Table, style: np.ndarray, theta: np.ndarray, near: np.ndarray
) -> np.ndarray:
    """Per row, a uniform product within WINDOW of ``theta`` where ``near``, else one at least GAP away."""
    order = np.argsort(style, kind="stable")
    ring = np.concatenate([style[order] - 1, style[order], style[order] + 1])  # the circle, unrolled thrice
    ids = np.tile(catalog["product_id"].to_numpy()[order], 3)
    n = len(style)
    lo, hi = np.searchsorted(ring, theta - WINDOW), np.searchsorted(ring, theta + WINDOW, "right")
    gap_lo, gap_hi = np.searchsorted(ring, theta - GAP), np.searchsorted(ring, theta + GAP, "right")
    u = rng.random(len(theta))
    inside = lo + np.floor(u * (hi - lo)).astype(np.int64)  # theta is a product's style: never empty
    outside = gap_hi + np.floor(u * (n - (gap_hi - gap_lo))).astype(np.int64)  # after the gap, around the ring
    return ids[np.where(near, inside, outside)]


def planted(spec: SynthSpec, signal_rows: int) -> dict:
    """truth.json's account of the signal."""
    return {
        "planted_in": "transactions, read together with their product and their customer",
        "recognised_by": f"a transaction in (cutoff - 7 days, cutoff] whose product's style (style_x, style_y) "
        f"lies within {WINDOW} turns of the customer's hidden style; customers.taste_x, taste_y show that "
        f"style with normal noise of {HINT_NOISE:g} turns; other rows' products lie at least {GAP} turns away",
        "carrier": f"amount > {AMOUNT_MEDIAN:g} (the median) iff the latent state is 1; each such row has a "
        "mirror row on the other side of the median, the rest draw ordinary normal amounts",
        "aggregates": "every column of every table, and the multiset of a week's amounts, has the same "
        "distribution whatever the state; which rows matter depends on the customer",
        "rows_per_customer_week": spec.signal_rows,
        "fraction": spec.signal_rows / spec.rows_per_entity,
        "rows": signal_rows,
    }

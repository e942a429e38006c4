"""The sizes family: the signal family's planting, with weeks of heavy-tailed size.

As in the signal family, k = round(S x M) of a customer's weekly transactions buy a product of the marker
category and their amount lies above the median iff the week's latent state is 1; the rest buy other
products with ordinary normal amounts. But the customer's weekly count is its own, drawn log-uniform over
a ``size_spread``-fold range around M (:func:`relpool.synth.ragged.heavy_tailed_sizes`; at least k), the same
k signal rows in every week. So the signal fraction is S only for a customer of the median size: a mean
dilutes the k rows by 1/M_i and a sum adds M_i - k noise rows, while a row-level filter (the marker
category, as in the control family) still finds exactly the k signal rows. The oracle is the signal
family's (the state, read from any signal row; Bayes AUROC 1 - label_noise).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from relpool.synth.draw import (
    MARKER,
    Chunk,
    amounts,
    customers_table,
    labels,
    latent_states,
    rng_for,
    sessions,
)
from relpool.synth.draw import products as products  # the plain catalog
from relpool.synth.ragged import heavy_tailed_sizes, transactions_table, week_layout
from relpool.synth.spec import SynthSpec
from relpool.synth.tables import schemas

ORACLE_SCORE = "the customer's latent state of the week before the cutoff, read from any marker-category row"


def chunk(spec: SynthSpec, index: int, lo: int, hi: int, catalog: pa.Table, session_offset: int) -> Chunk:
    """Customers lo..hi-1 (0-based) with all their transactions and sessions; deterministic in (seed, index)."""
    rng = rng_for(spec, 5, index)
    ids, loyalty, z, y = latent_states(rng, spec, lo, hi)
    k = spec.signal_rows
    sizes = heavy_tailed_sizes(rng, spec, len(ids), least=k)
    customer, week, position = week_layout(sizes, spec.periods)
    signal = position < k
    category = catalog["category"].to_numpy(zero_copy_only=False)
    product_ids = catalog["product_id"].to_numpy()
    product = np.where(
        signal,
        rng.choice(product_ids[category == MARKER], len(signal)),
        rng.choice(product_ids[category != MARKER], len(signal)),
    )
    amount = amounts(rng, signal, z[customer, week - 1])
    return Chunk(
        {
            "customers": customers_table(rng, ids, loyalty, schemas(spec.family)["customers"]),
            "transactions": transactions_table(
                spec, rng, ids, (customer, week), product, amount, schemas(spec.family)["transactions"]
            ),
            "sessions": sessions(spec, rng, ids, y, session_offset),
        },
        labels(spec, ids, y, z, loyalty),
        int(signal.sum()),
    )


def planted(spec: SynthSpec, signal_rows: int) -> dict:
    """truth.json's account of the signal."""
    low, high = (round(spec.rows_per_entity * spec.size_spread**e) for e in (-0.5, 0.5))
    return {
        "planted_in": "transactions",
        "recognised_by": f"the product's category is '{MARKER}' and purchased_at is in (cutoff - 7 days, cutoff]",
        "carrier": "amount > the median iff the latent state is 1, as in the signal family",
        "set_sizes": f"each customer's transactions per week: log-uniform over [{low}, {high}] "
        f"(a {spec.size_spread:g}-fold spread around {spec.rows_per_entity}), at least the signal rows",
        "rows_per_customer_week": spec.signal_rows,
        "fraction": spec.signal_rows / spec.rows_per_entity,
        "fraction_note": "of a customer of the median size; k / M_i for a customer with M_i rows a week",
        "rows": signal_rows,
    }

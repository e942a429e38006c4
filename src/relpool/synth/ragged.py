"""Weeks of different sizes: each customer's own number of transactions per week, and the flat row layout.

The signal and interaction families give every customer M transactions a week; the ``sizes`` families draw a
customer's weekly count from a heavy-tailed (log-uniform) distribution around M, so that an average dilutes
the same k signal rows by a factor that varies a hundredfold between customers, and a sum scales with it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from relpool.synth.draw import CHANNELS, times_in_weeks
from relpool.synth.spec import SynthSpec


def heavy_tailed_sizes(rng: np.random.Generator, spec: SynthSpec, n: int, least: int | np.ndarray) -> np.ndarray:
    """Log-uniform on [M / sqrt(R), M x sqrt(R)] (R = ``size_spread``), rounded, at least ``least`` (per customer
    if an array)."""
    half = np.log(spec.size_spread) / 2
    sizes = np.round(spec.rows_per_entity * np.exp(rng.uniform(-half, half, n))).astype(np.int64)
    return np.maximum(sizes, np.maximum(least, 1))


def size_cap(spec: SynthSpec, most_signal: int | None = None) -> int:
    """An upper bound on any customer's weekly count (for ids that stay unique across chunks), given at most
    ``most_signal`` signal rows a week (default: the spec's fixed count) and as many mirrors."""
    k = spec.signal_rows if most_signal is None else most_signal
    return int(np.ceil(spec.rows_per_entity * np.sqrt(spec.size_spread))) + 2 * k + 1


def week_layout(sizes: np.ndarray, periods: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, ordered by customer, week and position: the customer (0-based), the week (1-based) and the
    row's position within its customer-week (0-based; the families plant their signal at the first ones)."""
    counts = np.repeat(sizes, periods)
    cell = np.arange(len(counts))
    customer, week = np.repeat(cell // periods, counts), np.repeat(cell % periods + 1, counts)
    return customer, week, np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def transactions_table(
    spec: SynthSpec,
    rng: np.random.Generator,
    ids: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray],
    product: np.ndarray,
    amount: np.ndarray,
    schema: pa.Schema,
    most_signal: int | None = None,
) -> pa.Table:
    """The transactions of ``rows`` = (customer, week), each buying ``product`` for ``amount``; ``most_signal``
    as in :func:`size_cap`."""
    customer, week = rows
    first_id = (ids[0] - 1) * spec.periods * size_cap(spec, most_signal) + 1
    total = len(customer)
    return pa.table(
        {
            "transaction_id": np.arange(first_id, first_id + total, dtype=np.int64),
            "customer_id": ids[customer],
            "product_id": product,
            "purchased_at": times_in_weeks(rng, week),
            "amount": amount,
            "quantity": rng.integers(1, 6, total),
            "channel": rng.choice(CHANNELS, total),
        },
        schema=schema,
    )

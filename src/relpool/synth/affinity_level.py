"""The affinity_level family: next week's basket is the level of the customer's in-style purchases, a number.

Where the binary families ask whether a state is 1, this one asks how much: an average over a number of rows
that varies from customer to customer, among a number of other rows that varies too. That is where the
pointwise pools must fail (issue 18): a mean of the rows a filter keeps gives (k_i / M_i) x level, a sum
k_i x level, and neither count is seen directly, while attention's weights are normalised over the rows it
picks. Catalog, styles and tastes are the affinity family's.

Each customer has a prior level m = distractor_strength x loyalty_score and, per week, a level
mu ~ N(m, 1). Of its M_i transactions a week (heavy-tailed as in the sizes families, at least 2 k_i),
k_i (log-uniform over a COUNT_SPREAD-fold range around round(S x M), the customer's own every week) buy
products within WINDOW of its hidden style, their amounts AMOUNT_MEDIAN + AMOUNT_SCALE x (mu + ROW_NOISE x
noise); k_i mirrors (at least GAP away) carry 2m - mu instead, so, given the loyalty, a week's multiset of
amounts is the same for mu and its reflection and no aggregate of the amounts tells more than m; the rest
draw ordinary normal amounts. The label at the end of week k is BASKET_MEDIAN + BASKET_SCALE x (mu +
sqrt(label_noise) x noise), realised as the basket_value of the customer's one checkout in week k + 1
(every customer checks out every week; browse and search sessions have none). The oracle is the posterior
mean of mu given the prior and the rows near the style (the affinity family's reading of them).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from relpool.synth import affinity
from relpool.synth.draw import AMOUNT_MEDIAN, AMOUNT_SCALE, Chunk, customers_table, labels, rng_for
from relpool.synth.draw import sessions as binary_sessions
from relpool.synth.ragged import heavy_tailed_sizes, transactions_table, week_layout
from relpool.synth.spec import PERIOD_SECONDS, START, SynthSpec
from relpool.synth.tables import schemas

COUNT_SPREAD = 10.0  # max / min of the customers' weekly numbers of signal rows
ROW_NOISE = 0.2  # a signal row's amount is the level plus this much normal noise (in AMOUNT_SCALE units)
BASKET_MEDIAN, BASKET_SCALE = 100.0, 20.0  # basket_value = BASKET_MEDIAN + BASKET_SCALE x label: never near 0
ORACLE_SCORE = "the posterior mean of the week's level given the loyalty prior and the rows near the customer's style"
products = affinity.products


def most_signal_rows(spec: SynthSpec) -> int:
    """An upper bound on any customer's weekly signal rows (for unique transaction ids)."""
    return int(np.ceil(spec.signal_rows * np.sqrt(COUNT_SPREAD))) + 1


def signal_counts(rng: np.random.Generator, spec: SynthSpec, n: int) -> np.ndarray:
    """Per customer, log-uniform over a COUNT_SPREAD-fold range around round(S x M), rounded, at least 1."""
    half = np.log(COUNT_SPREAD) / 2
    return np.maximum(np.round(spec.signal_rows * np.exp(rng.uniform(-half, half, n))), 1).astype(np.int64)


def chunk(spec: SynthSpec, index: int, lo: int, hi: int, catalog: pa.Table, session_offset: int) -> Chunk:
    """Customers lo..hi-1 (0-based) with all their transactions and sessions; deterministic in (seed, index)."""
    rng = rng_for(spec, 6, index)
    n, p = hi - lo, spec.periods
    ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
    loyalty = rng.normal(0.0, 1.0, n)
    prior = spec.distractor_strength * loyalty
    level = prior[:, None] + rng.standard_normal((n, p))
    label = level[:, : p - 1] + np.sqrt(spec.label_noise) * rng.standard_normal((n, p - 1))
    style = affinity.styles(catalog)
    theta = style[rng.integers(0, len(style), n)]
    hint = 2 * np.pi * (theta + rng.normal(0.0, affinity.HINT_NOISE, n))
    counts = signal_counts(rng, spec, n)
    customer, week, position = week_layout(heavy_tailed_sizes(rng, spec, n, least=2 * counts), p)
    k = counts[customer]
    signal, mirror = position < k, (position >= k) & (position < 2 * k)
    product = affinity.choose_products(rng, catalog, style, theta[customer], signal)
    mu, m = level[customer, week - 1], prior[customer]
    noise = ROW_NOISE * rng.standard_normal(len(customer))
    x = np.where(signal, mu + noise, np.where(mirror, 2 * m - mu + noise, rng.standard_normal(len(customer))))
    tables = schemas(spec.family)
    # Read back from the rounded amounts, as anyone reading the database would.
    amount = np.round(AMOUNT_MEDIAN + AMOUNT_SCALE * x, 2)
    seen = np.bincount(customer * p + week - 1, np.where(signal, amount, 0.0), n * p).reshape(n, p)
    mean_seen = (seen / counts[:, None] - AMOUNT_MEDIAN) / AMOUNT_SCALE
    shrink = counts / (counts + ROW_NOISE**2)  # the normal posterior's weight on the rows' mean, prior variance 1
    posterior = prior[:, None] + shrink[:, None] * (mean_seen - prior[:, None])
    baskets = np.round(BASKET_MEDIAN + BASKET_SCALE * label, 2)
    return Chunk(
        {
            "customers": customers_table(
                rng, ids, loyalty, tables["customers"], taste_x=np.cos(hint), taste_y=np.sin(hint)
            ),
            "transactions": transactions_table(
                spec,
                rng,
                ids,
                (customer, week),
                product,
                amount,
                tables["transactions"],
                most_signal=most_signal_rows(spec),
            ),
            "sessions": sessions(spec, rng, ids, baskets, session_offset),
        },
        labels(spec, ids, baskets, BASKET_MEDIAN + BASKET_SCALE * posterior, BASKET_MEDIAN + BASKET_SCALE * prior),
        int(signal.sum()),
    )


def sessions(spec: SynthSpec, rng: np.random.Generator, ids: np.ndarray, baskets: np.ndarray, offset: int) -> pa.Table:
    """The binary families' sessions with a checkout for every customer in weeks 2..p, each holding the basket
    of the label of the week before it."""
    table = binary_sessions(spec, rng, ids, np.ones(baskets.shape, dtype=bool), offset)
    checkout = table["kind"].to_numpy(zero_copy_only=False) == "checkout"
    since = (table["started_at"].to_numpy() - START) / np.timedelta64(1, "s")
    week = np.ceil(since / PERIOD_SECONDS).astype(np.int64)  # 1-based; a checkout lies in weeks 2..p
    customer = table["customer_id"].to_numpy() - ids[0]
    value = np.where(checkout, baskets[customer, np.clip(week - 2, 0, baskets.shape[1] - 1)], 0.0)
    return table.append_column(schemas(spec.family)["sessions"].field("basket_value"), pa.array(value, mask=~checkout))


def planted(spec: SynthSpec, signal_rows: int) -> dict:
    """truth.json's account of the signal."""
    low, high = (round(spec.rows_per_entity * spec.size_spread**e) for e in (-0.5, 0.5))
    few, many = (max(1, round(spec.signal_rows * COUNT_SPREAD**e)) for e in (-0.5, 0.5))
    return {
        "planted_in": "transactions, read together with their product and their customer",
        "recognised_by": f"a transaction in (cutoff - 7 days, cutoff] whose product's style lies within "
        f"{affinity.WINDOW} turns of the customer's hidden style, which customers.taste_x, taste_y show with "
        f"normal noise of {affinity.HINT_NOISE:g} turns; other rows' products lie at least {affinity.GAP} turns away",
        "carrier": f"the level: the mean of those rows' (amount - {AMOUNT_MEDIAN:g}) / {AMOUNT_SCALE:g}, each the "
        f"week's level plus normal noise of {ROW_NOISE:g}; as many mirror rows carry its reflection about the "
        "loyalty prior, the rest draw ordinary normal amounts",
        "target": f"next week's checkout basket_value = {BASKET_MEDIAN:g} + {BASKET_SCALE:g} x (level + normal "
        f"noise of variance {spec.label_noise:g})",
        "aggregates": "given the loyalty score, a week's multiset of amounts is the same for the level and its "
        "reflection, so no aggregate of a column tells more than the prior",
        "signal_counts": f"each customer's rows near its style per week: log-uniform over [{few}, {many}] "
        f"(a {COUNT_SPREAD:g}-fold spread around {spec.signal_rows}), the same every week",
        "set_sizes": f"each customer's transactions per week: log-uniform over [{low}, {high}], at least twice "
        "its signal rows",
        "rows_per_customer_week": spec.signal_rows,
        "fraction": spec.signal_rows / spec.rows_per_entity,
        "fraction_note": "of a customer of the median size and count; k_i / M_i varies between customers",
        "rows": signal_rows,
    }

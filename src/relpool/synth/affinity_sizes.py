"""The affinity_sizes family: both ways noise hurts pointwise pooling at once.

The affinity family's planting (the signal rows are those near the customer's own hidden style, which its
taste columns show only noisily) with the sizes family's weeks (each customer's weekly count log-uniform over
a ``size_spread``-fold range around M, the same k signal rows and k mirrors in each). A mean dilutes the k
rows by 1/M_i, a sum adds M_i - 2k ordinary rows, and no fixed per-row filter tells the k rows apart; an
attention whose query knows the customer's taste can. Oracle and Bayes AUROC as in the affinity family.
"""

from __future__ import annotations

import pyarrow as pa

from relpool.synth import affinity
from relpool.synth.draw import Chunk
from relpool.synth.ragged import heavy_tailed_sizes
from relpool.synth.sizes import planted as sizes_planted
from relpool.synth.spec import SynthSpec

ORACLE_SCORE = affinity.ORACLE_SCORE
products = affinity.products


def chunk(spec: SynthSpec, index: int, lo: int, hi: int, catalog: pa.Table, session_offset: int) -> Chunk:
    """Customers lo..hi-1 (0-based) with all their transactions and sessions; deterministic in (seed, index)."""
    return affinity.chunk(spec, index, lo, hi, catalog, session_offset, sizes=heavy_tailed_sizes)


def planted(spec: SynthSpec, signal_rows: int) -> dict:
    """truth.json's account of the signal."""
    sizes = sizes_planted(spec, signal_rows)
    return {**affinity.planted(spec, signal_rows), **{k: sizes[k] for k in ("set_sizes", "fraction_note")}}

"""What fit says when memory runs out: which stage ran out, and the option that helps there.

Preparing holds the whole graph and every encoded column in memory, which ``--cache DIR`` moves to
memory-mapped files; training holds one batch's subgraph, which the sampling and width options size.
"""

from __future__ import annotations

import duckdb

from relpool.train.fit_options import FitOptions


def is_out_of_memory(exc: BaseException) -> bool:
    """Python's, torch's allocator's ("DefaultCPUAllocator: not enough memory: ...") and DuckDB's."""
    if isinstance(exc, (MemoryError, duckdb.OutOfMemoryException)):
        return True
    return isinstance(exc, RuntimeError) and "memory" in str(exc).lower()


def out_of_memory(options: FitOptions, preparing: bool, cached: bool) -> str:
    if preparing:
        advice = "a machine with more memory" if cached else "--cache DIR to keep them in memory-mapped files"
        return f"ran out of memory preparing the database's graph and encoded columns; use {advice}"
    loop = options.loop
    return (
        f"ran out of memory training with --fanout {','.join(map(str, loop.fanout))}, --batch-size "
        f"{loop.batch_size} and --channels {options.channels}; lower them"
    )

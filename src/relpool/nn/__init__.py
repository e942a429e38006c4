"""Neural building blocks of relpool: pooling operators over sets of related rows."""

from relpool.nn.pool import Pool, available_pools, build_pool

__all__ = ["Pool", "available_pools", "build_pool"]

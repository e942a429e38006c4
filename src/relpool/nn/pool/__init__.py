"""Pooling operators with one contract, chosen by name.

``pool(x [E, d], index [E], dim_size N, query [N, d] | None) -> [N, d]``

Importing this package registers every operator, so ``build_pool(name, dim)``
sees them all.
"""

from relpool.nn.pool.adaptive import AdaptivePool
from relpool.nn.pool.base import Pool, available_pools, build_pool, pool_options, register
from relpool.nn.pool.basic import MaxPool, MeanPool, MinPool, StdPool, SumPool
from relpool.nn.pool.gated import GatedPool
from relpool.nn.pool.mixed import MixedPool
from relpool.nn.pool.multi import MultiPool
from relpool.nn.pool.pma import PMAPool
from relpool.nn.pool.powermean import PowerMeanPool
from relpool.nn.pool.softmax import SoftmaxPool

__all__ = [
    "Pool",
    "available_pools",
    "build_pool",
    "pool_options",
    "register",
    "SumPool",
    "MeanPool",
    "MaxPool",
    "MinPool",
    "StdPool",
    "SoftmaxPool",
    "PowerMeanPool",
    "MixedPool",
    "GatedPool",
    "AdaptivePool",
    "PMAPool",
    "MultiPool",
]

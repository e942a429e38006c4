"""The pooling contract and the registry that picks an operator by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TypeVar

import torch
from torch import Tensor
from torch_geometric.nn.aggr import Aggregation

_REGISTRY: dict[str, type[Pool]] = {}

P = TypeVar("P", bound=type["Pool"])


class Pool(torch.nn.Module):
    """Summarises each target's set of messages into one vector.

    ``forward(x [E, d], index [E], dim_size N, query [N, d] | None) -> [N, d]``.
    ``index`` may be unsorted; targets with no message get a finite vector.
    ``query`` is the target's own embedding; operators that need none ignore it,
    so every operator is interchangeable in a model. ``keys`` ([E, d], optional) is what attending
    operators compare with the query instead of ``x`` (the rows' own state, which a message map may
    have washed out); the others ignore it.
    """

    name: str = ""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(
        self, x: Tensor, index: Tensor, dim_size: int, query: Tensor | None = None, keys: Tensor | None = None
    ) -> Tensor:
        raise NotImplementedError

    def weights(
        self, x: Tensor, index: Tensor, dim_size: int, query: Tensor | None = None, keys: Tensor | None = None
    ) -> Tensor | None:
        """Each message's weight in its target's set ([E], summing to 1 per target), for operators whose output
        is such a weighting (attention); None for the others, whose summary weighs no row above another."""
        return None

    @property
    def weighs_rows(self) -> bool:
        """Whether :meth:`weights` gives weights (the operator overrides it), so explain can rank rows by them."""
        return type(self).weights is not Pool.weights

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class AggrPool(Pool):
    """Adapter from a PyG aggregation (which has no query) to the pool contract.

    Subclasses name the aggregation class; keyword arguments go to it.
    """

    aggregation: type[Aggregation]

    def __init__(self, dim: int, **kwargs):
        super().__init__(dim)
        self.aggr = self.aggregation(**kwargs)

    def forward(
        self, x: Tensor, index: Tensor, dim_size: int, query: Tensor | None = None, keys: Tensor | None = None
    ) -> Tensor:
        return self.aggr(x, index, dim_size=dim_size)


def register(name: str) -> Callable[[P], P]:
    """Class decorator: make an operator available to :func:`build_pool`."""

    def wrap(cls: P) -> P:
        if name in _REGISTRY:
            raise ValueError(f"pool {name!r} is registered twice")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def available_pools() -> list[str]:
    """Names accepted by :func:`build_pool`, sorted."""
    return sorted(_REGISTRY)


def pool_options(name: str) -> list[str]:
    """The keyword arguments the operator registered as ``name`` takes besides ``dim``, in order."""
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(_REGISTRY[name].__init__).parameters.values()
    return [p.name for p in parameters if p.kind in keyword and p.name not in ("self", "dim")]


def build_pool(name: str, dim: int, **kwargs) -> Pool:
    """Instantiate the operator registered as ``name`` for ``dim`` channels."""
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown pool {name!r}; choose one of {available_pools()}") from None
    return cls(dim, **kwargs)

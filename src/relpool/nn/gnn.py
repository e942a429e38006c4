"""Heterogeneous message passing where each edge type's messages are summarised by a chosen pool.

For every edge type (B -> A) of a batch, each B row sends ``relu(W x_B)``; the set a target A row
receives is pooled by the operator named in ``pool`` with the target's own embedding as the query
(what AdaPool needs to tell signal rows from noise). By default attention compares the query with the
messages themselves; ``keys="source"`` compares it with each source's state before the message map
(issue 18: that did not lift the affinity family, so it is not the default). The query is the
target's current state by default; ``query="input"`` takes it from the target's layer-0 input (its encoded
columns and age) and ``query="both"`` from their sum, so a later layer's attention is steered by the
row's own columns rather than by a state that already averages its unfiltered set (issue 18). Edge types
are summed, then a residual and a layer norm per node type.

A mini-batch holds only the node types its seeds reach: a table with rows for few entities is absent
from most batches. Edge types from or to an absent type carry nothing and are skipped.
"""

from __future__ import annotations

from torch import Tensor, nn

from relpool.graph.hetero import EdgeType
from relpool.nn.pool import Pool, build_pool

QUERIES = ("state", "input", "both")  # what each target's pool query is made of


def edge_key(edge_type: EdgeType) -> str:
    return "__".join(edge_type)


class RelationalLayer(nn.Module):
    def __init__(
        self,
        node_types: list[str],
        edge_types: list[EdgeType],
        channels: int,
        pool: str,
        pool_options: dict | None = None,
        keys: str = "message",
        query: str = "state",
    ):
        super().__init__()
        if keys not in ("message", "source"):
            raise ValueError(f"keys must be 'message' or 'source', got {keys!r}")
        if query not in QUERIES:
            raise ValueError(f"query must be one of {', '.join(QUERIES)}, got {query!r}")
        self.keys = keys
        self.query = query
        self.message = nn.ModuleDict({edge_key(e): nn.Linear(channels, channels) for e in edge_types})
        self.pool = nn.ModuleDict({edge_key(e): build_pool(pool, channels, **(pool_options or {})) for e in edge_types})
        self.update = nn.ModuleDict({t: nn.Linear(channels, channels) for t in node_types})
        self.norm = nn.ModuleDict({t: nn.LayerNorm(channels) for t in node_types})

    def forward(
        self, x: dict[str, Tensor], edge_index: dict[EdgeType, Tensor], inputs: dict[str, Tensor] | None = None
    ) -> dict[str, Tensor]:
        """``inputs``: every row's layer-0 input, needed (and only read) when ``query`` is not "state"."""
        incoming = {t: self.update[t](h) for t, h in x.items()}
        for edge_type, index, messages in self._messages(x, edge_index):
            target = edge_type[2]
            incoming[target] = incoming[target] + self.pool[edge_key(edge_type)](
                messages,
                index[1],
                dim_size=x[target].size(0),
                query=self._query(x, inputs, target),
                keys=self._keys(x, edge_type, index),
            )
        return {t: self.norm[t](h + incoming[t].relu()) for t, h in x.items()}

    def attention(
        self, x: dict[str, Tensor], edge_index: dict[EdgeType, Tensor], inputs: dict[str, Tensor] | None = None
    ) -> dict[EdgeType, Tensor]:
        """Per edge type whose pool weighs its messages (:meth:`~relpool.nn.pool.base.Pool.weights`), each
        edge's weight in its target's set, as this layer's forward pass on ``x`` (and ``inputs``) computes it."""
        weights = {}
        for edge_type, index, messages in self._messages(x, edge_index):
            target = edge_type[2]
            pool = self.pool[edge_key(edge_type)]
            assert isinstance(pool, Pool)  # built by build_pool
            found = pool.weights(
                messages,
                index[1],
                dim_size=x[target].size(0),
                query=self._query(x, inputs, target),
                keys=self._keys(x, edge_type, index),
            )
            if found is not None:
                weights[edge_type] = found
        return weights

    def _query(self, x: dict[str, Tensor], inputs: dict[str, Tensor] | None, target: str) -> Tensor:
        if self.query == "state":
            return x[target]
        if inputs is None:
            raise ValueError(f'a layer with query="{self.query}" needs the layer-0 inputs (inputs=...)')
        return inputs[target] if self.query == "input" else x[target] + inputs[target]

    def _keys(self, x: dict[str, Tensor], edge_type: EdgeType, index: Tensor) -> Tensor | None:
        """What attention compares with the query: with ``keys="source"`` each edge's source state before the
        message map (whose ReLU output forgets what the value path has no use for yet), else the message."""
        return x[edge_type[0]].index_select(0, index[0]) if self.keys == "source" else None

    def _messages(self, x: dict[str, Tensor], edge_index: dict[EdgeType, Tensor]):
        """(edge type, edge index, each edge's message) of the edge types whose both ends are in the batch."""
        for edge_type, index in edge_index.items():
            source, _, target = edge_type
            key = edge_key(edge_type)
            if key in self.message and source in x and target in x:
                yield edge_type, index, self.message[key](x[source]).relu().index_select(0, index[0])

"""The relational GNN: row encoders + age, L pooled message-passing layers, a task head; the hybrid GNN
also adds an embedding of the example's auto-features (:mod:`relpool.nn.features`) to the seed's."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from torch import Tensor, nn
from torch_frame import TensorFrame
from torch_geometric.data import HeteroData

from relpool.graph.hetero import EdgeType
from relpool.nn.encoder import AgeEncoder, TableEncoder
from relpool.nn.features import FeatureInput
from relpool.nn.gnn import RelationalLayer
from relpool.nn.heads import LinkHead, mlp
from relpool.nn.pool.base import Pool
from relpool.tasks import TaskKind, task_kind


@dataclass
class ModelSpec:
    """Everything needed to rebuild the network's shape (stored in config.json)."""

    task_type: str  # the kind's name
    entity_table: str
    node_types: list[str]
    edge_types: list[list[str]]
    out_dim: int  # 1 for binary/regression, classes for multiclass, unused for link prediction
    channels: int = 64
    layers: int = 2
    pool: str = "adaptive"
    pool_options: dict = field(default_factory=dict)
    pool_query: str = "state"  # the pools' query: the target's "state", layer-0 "input", or "both" (RelationalLayer)
    dropout: float = 0.1
    item_table: str | None = None
    num_items: int = 0
    history_features: int = 0  # link prediction: features per past use of an item (0: the head ignores history)
    entity_features: list[str] = field(default_factory=list)  # the hybrid GNN's auto-features, in input order

    @property
    def kind(self) -> TaskKind:
        return task_kind(self.task_type)

    def to_dict(self) -> dict:
        return asdict(self)


class RelationalModel(nn.Module):
    def __init__(self, spec: ModelSpec, col_stats: dict[str, dict], col_names: dict[str, dict]):
        super().__init__()
        self.spec = spec
        c = spec.channels
        self.tables = nn.ModuleDict(
            {t: TableEncoder(c, col_stats[t], col_names[t], dropout=spec.dropout) for t in spec.node_types}
        )
        self.age = AgeEncoder(c)
        edge_types: list[EdgeType] = [(src, rel, dst) for src, rel, dst in spec.edge_types]
        self.layers = nn.ModuleList(
            [
                RelationalLayer(spec.node_types, edge_types, c, spec.pool, spec.pool_options, query=spec.pool_query)
                for _ in range(spec.layers)
            ]
        )
        self.features = FeatureInput(len(spec.entity_features), c, spec.dropout) if spec.entity_features else None
        self.head: LinkHead | nn.Sequential
        if spec.kind.ranks_items:
            self.head = LinkHead(c, spec.num_items, spec.history_features)
        else:
            self.head = mlp(c, spec.out_dim, spec.dropout)

    def seed_embeddings(self, frames: dict[str, TensorFrame], batch: HeteroData) -> Tensor:
        return self.propagate(self._inputs(frames, batch), batch)

    def _inputs(self, frames: dict[str, TensorFrame], batch: HeteroData) -> dict[str, Tensor]:
        """Every sampled row's input vector: its encoded columns plus its age."""
        x = {}
        for node_type in batch.node_types:
            store = batch[node_type]
            if store.num_nodes:
                x[node_type] = self.tables[node_type](frames[node_type], store.num_nodes) + self.age(
                    store.age, store.has_time
                )
        return x

    def attention(self, frames: dict[str, TensorFrame], batch: HeteroData) -> list[dict[EdgeType, Tensor]]:
        """Per layer, first to last, :meth:`RelationalLayer.attention` on the batch (empty for pools without
        weights): where an attention pool looked in each set it summarised."""
        x, edge_index = self._inputs(frames, batch), {e: batch[e].edge_index for e in batch.edge_types}
        inputs, weights = x, []
        for layer in self.layers:
            assert isinstance(layer, RelationalLayer)  # what __init__ builds
            weights.append(layer.attention(x, edge_index, inputs))
            x = layer(x, edge_index, inputs)
        return weights

    @property
    def weighs_rows(self) -> bool:
        """Whether some layer's pool weighs the rows of its sets (attention), i.e. :meth:`attention` can say anything."""
        return any(isinstance(pool, Pool) and pool.weighs_rows for pool in self.modules())

    def propagate(self, x: dict[str, Tensor], batch: HeteroData) -> Tensor:
        """The seeds' embeddings after the message-passing layers, from every sampled row's input vector
        (which each layer also receives, for a pool query made from it)."""
        edge_index, inputs = {e: batch[e].edge_index for e in batch.edge_types}, x
        for layer in self.layers:
            x = layer(x, edge_index, inputs)
        return x[self.spec.entity_table][: batch[self.spec.entity_table].batch_size]

    def forward(
        self,
        frames: dict[str, TensorFrame],
        batch: HeteroData,
        item_frame: TensorFrame | None = None,
        history: tuple[Tensor, Tensor, Tensor] | None = None,
        features: Tensor | None = None,
    ) -> Tensor:
        """Binary/regression: [B] logits or values; multiclass: [B, C] logits; link: [B, num_items] scores.
        ``features``: the hybrid GNN's [B, entity_features] auto-features of the seeds' examples."""
        return self.head_outputs(self.seed_embeddings(frames, batch), item_frame, history, features)

    def head_outputs(
        self,
        seeds: Tensor,
        item_frame: TensorFrame | None = None,
        history: tuple[Tensor, Tensor, Tensor] | None = None,
        features: Tensor | None = None,
    ) -> Tensor:
        """:meth:`forward` from the seeds' embeddings on."""
        if self.features is not None:
            assert features is not None, "a hybrid GNN needs each example's auto-features"
            seeds = seeds + self.features(features)
        return self.task_head(seeds, item_frame, history)

    def task_head(
        self, seeds: Tensor, item_frame: TensorFrame | None = None, history: tuple[Tensor, Tensor, Tensor] | None = None
    ) -> Tensor:
        """The head on embeddings that already hold a hybrid GNN's auto-features (occlusion runs it on many
        copies of a seed, whose feature embedding it computes once)."""
        if self.spec.kind.ranks_items:
            assert isinstance(self.head, LinkHead) and self.spec.item_table is not None  # set for ranking kinds
            items = self.tables[self.spec.item_table](item_frame, self.spec.num_items)
            return self.head(seeds, self.head.item_vectors(items), history)
        out = self.head(seeds)
        return out.squeeze(-1) if self.spec.out_dim == 1 else out

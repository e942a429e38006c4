"""Task heads on the seed embeddings (each kind's loss lives with the kind, in :mod:`relpool.tasks`)."""

from __future__ import annotations

from torch import Tensor, nn


def mlp(channels: int, out: int, dropout: float = 0.1) -> nn.Sequential:
    return nn.Sequential(nn.Linear(channels, channels), nn.ReLU(), nn.Dropout(dropout), nn.Linear(channels, out))


class LinkHead(nn.Module):
    """Scores entity -> item pairs by a dot product of an entity projection and an item embedding.

    Items (the rows a LIST_DISTINCT foreign key points at) get a free embedding plus their encoded
    columns, so a new item with known attributes is not a blank. With ``history_features``, each
    item the entity used before the cutoff (see :mod:`relpool.train.history`) adds a learned score
    of how often and how lately, the signal a dot product finds hardest to learn.
    """

    def __init__(self, channels: int, num_items: int, history_features: int = 0):
        super().__init__()
        self.entity = mlp(channels, channels)
        self.item_embedding = nn.Embedding(num_items, channels)
        nn.init.normal_(self.item_embedding.weight, std=0.1)
        self.item_features = nn.Linear(channels, channels)
        self.history = (
            nn.Sequential(nn.Linear(history_features, channels), nn.ReLU(), nn.Linear(channels, 1))
            if history_features
            else None
        )

    def item_vectors(self, item_features: Tensor) -> Tensor:
        return self.item_embedding.weight + self.item_features(item_features)

    def forward(self, seeds: Tensor, items: Tensor, history: tuple[Tensor, Tensor, Tensor] | None = None) -> Tensor:
        """[batch, num_items] scores; ``history`` is (row, item, features) of each past use."""
        scores = self.entity(seeds) @ items.T
        if self.history is not None and history is not None:
            row, item, features = history
            scores = scores.index_put((row, item), self.history(features).squeeze(-1), accumulate=True)
        return scores

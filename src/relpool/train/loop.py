"""The training loop: mini-batches of sampled subgraphs and AdamW steps (early stopping: :mod:`.trainer`).

Determinism: every random choice of epoch ``e`` (example order, sampled neighbours, dropout) is
seeded from (``seed``, ``e``), so a run resumed after epoch ``e`` from its checkpoint continues
exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from relpool.encode.materialize import EncodedTable
from relpool.graph import TemporalSampler
from relpool.graph.hetero import TemporalGraph
from relpool.nn.model import RelationalModel
from relpool.tasks import Targets, task_kind
from relpool.train.data import SplitData, gather_frames
from relpool.train.fit_options import LoopOptions
from relpool.train.history import ItemHistory


def epoch_seed(seed: int, epoch: int, stream: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, stream]).generate_state(1)[0])


class Loop:
    def __init__(
        self,
        model: RelationalModel,
        graph: TemporalGraph,
        tables: dict[str, EncodedTable],
        targets: Targets,
        options: LoopOptions,
    ):
        self.model, self.graph, self.tables, self.targets, self.options = model, graph, tables, targets, options
        self.entity = model.spec.entity_table
        self.item_table = model.spec.item_table
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=options.lr, weight_decay=options.weight_decay)

    def sampler(self, seed: int) -> TemporalSampler:
        return TemporalSampler(
            self.graph, list(self.options.fanout), self.options.strategy, seed=seed, num_threads=self.options.threads
        )

    def outputs(
        self,
        sampler: TemporalSampler,
        seeds: np.ndarray,
        cutoffs: np.ndarray,
        history: ItemHistory | None = None,
        rows: np.ndarray | None = None,
        features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The model's outputs for one batch; ``rows`` index ``history`` (link prediction) and ``features``
        (the hybrid GNN's auto-features) for its examples."""
        batch = sampler.sample(self.entity, seeds, cutoffs)
        item_frame = self.tables[self.item_table].tensor_frame if self.item_table else None
        uses = None
        if history is not None:
            assert rows is not None  # given with every history
            uses = history.rows(rows)
        chosen = None
        if features is not None:
            assert rows is not None  # given with every feature matrix
            chosen = features[torch.as_tensor(rows)]
        return self.model(gather_frames(self.tables, batch), batch, item_frame, uses, chosen)

    def steps(self, train: SplitData, epoch: int) -> list[np.ndarray]:
        order = np.random.default_rng(epoch_seed(self.options.seed, epoch, 0)).permutation(len(train))
        size = self.options.batch_size
        return [order[i : i + size] for i in range(0, len(order), size)][: self.options.max_steps_per_epoch]

    def train_epoch(self, train: SplitData, epoch: int, on_step=None) -> float:
        self.model.train()
        torch.manual_seed(epoch_seed(self.options.seed, epoch, 1))
        sampler = self.sampler(epoch_seed(self.options.seed, epoch, 2))
        losses = []
        for index in self.steps(train, epoch):
            out = self.outputs(sampler, train.seeds[index], train.cutoffs[index], train.history, index, train.features)
            loss = self.loss(out, train, index)
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            losses.append(loss.item())
            if on_step:
                on_step(loss.item())
        return float(np.mean(losses))

    def loss(self, out: torch.Tensor, train: SplitData, index: np.ndarray) -> torch.Tensor:
        kind = task_kind(self.targets.task_type)
        return kind.loss(out, kind.batch(train.target, index))

    @torch.no_grad()
    def predict_outputs(
        self,
        seeds: np.ndarray,
        cutoffs: np.ndarray,
        seed: int,
        history: ItemHistory | None = None,
        features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Raw model outputs for every example, in order (a fixed sampler seed: same input, same output)."""
        self.model.eval()
        sampler = self.sampler(seed)
        size = self.options.batch_size * 2
        parts = [
            self.outputs(
                sampler,
                seeds[i : i + size],
                cutoffs[i : i + size],
                history,
                np.arange(i, min(i + size, len(seeds))),
                features,
            )
            for i in range(0, len(seeds), size)
        ]
        return torch.cat(parts) if parts else torch.empty(0)

"""The training loop: mini-batches of sampled subgraphs and AdamW steps (early stopping: :mod:`.trainer`).

Determinism: every random choice of epoch ``e`` (example order, sampled neighbours, dropout) is
seeded from (``seed``, ``e``), so a run resumed after epoch ``e`` from its checkpoint continues
exactly as the uninterrupted run would have. Across ``world`` data-parallel workers
(:mod:`.distributed`) the order is shared: step ``i`` is one global batch of ``world x batch_size``
examples, worker ``rank`` takes its ``rank``-th part, and samples and drops out with streams seeded
from (``seed``, ``e``, ``rank``); worker 0's streams are the single worker's.

Batches are sampled and gathered on the CPU, then moved to the device the network is on
(:mod:`.device`). On an accelerator the next batch is sampled while the device computes
(:mod:`.prefetch`, the same batches in the same order); on the CPU it is not: the sampler thread and
torch's threads then compete for the same cores, and an epoch took 1.6x as long on 2 cores
(``bench/workers.py``, ``prefetch``).

A served seed ensemble (:mod:`.ensemble`) predicts with every network in ``members`` on the same sampled
batches and averages their raw outputs (logits, standardised values, item scores); training only ever
steps ``model``, the first member.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch
from torch import nn

from relpool.encode.materialize import EncodedTable
from relpool.graph import TemporalSampler
from relpool.graph.hetero import TemporalGraph
from relpool.nn.model import RelationalModel
from relpool.tasks import Targets, task_kind
from relpool.train.data import SplitData, gather_frames
from relpool.train.device import pinned, to_device
from relpool.train.fit_options import LoopOptions
from relpool.train.history import ItemHistory
from relpool.train.prefetch import prefetched

CPU = torch.device("cpu")


def epoch_seed(seed: int, epoch: int, stream: int, rank: int = 0) -> int:
    entropy = [seed, epoch, stream] + ([rank] if rank else [])
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


class Loop:
    def __init__(
        self,
        model: RelationalModel,
        graph: TemporalGraph,
        tables: dict[str, EncodedTable],
        targets: Targets,
        options: LoopOptions,
        device: torch.device = CPU,
        others: list[RelationalModel] | None = None,
    ):
        self.model, self.graph, self.tables, self.targets, self.options = model, graph, tables, targets, options
        self.members = [model, *(others or [])]  # whose outputs' average predicts (see the module docstring)
        self.entity = model.spec.entity_table
        self.item_table = model.spec.item_table
        self.device = device
        self.prefetch = device.type != "cpu"  # see the module docstring
        for member in self.members:
            member.to(device)
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=options.lr, weight_decay=options.weight_decay)
        self.network: nn.Module = model  # what training steps call: DistributedDataParallel(model) across workers
        self.rank, self.world = 0, 1
        self.average: Callable[[float], float] = float  # an epoch's mean loss over the workers
        self._item_frame = None

    def _ahead(self, items: Iterable[tuple]) -> Iterator[tuple]:
        return prefetched(items) if self.prefetch else iter(items)

    def sampler(self, seed: int) -> TemporalSampler:
        return TemporalSampler(
            self.graph,
            list(self.options.fanout),
            self.options.strategy,
            seed=seed,
            num_threads=self.options.threads,
            history_window=self.options.history_window,
        )

    def inputs(
        self,
        sampler: TemporalSampler,
        seeds: np.ndarray,
        cutoffs: np.ndarray,
        history: ItemHistory | None = None,
        rows: np.ndarray | None = None,
        features: torch.Tensor | None = None,
    ) -> tuple:
        """One batch's network inputs, sampled and gathered on the CPU; ``rows`` index ``history`` (link
        prediction) and ``features`` (the hybrid GNN's auto-features) for its examples."""
        batch = sampler.sample(self.entity, seeds, cutoffs)
        uses = None
        if history is not None:
            assert rows is not None  # given with every history
            uses = history.rows(rows)
        chosen = None
        if features is not None:
            assert rows is not None  # given with every feature matrix
            chosen = features[torch.as_tensor(rows)]
        return pinned((gather_frames(self.tables, batch), batch, uses, chosen), self.device)

    def run(self, inputs: tuple, network: nn.Module | None = None) -> torch.Tensor:
        """``network``'s outputs (on its device) for inputs made by :meth:`inputs`; by default the average of
        the members' (``model``'s alone but in an ensemble)."""
        frames, batch, uses, chosen = to_device(inputs, self.device)
        networks = [network] if network is not None else self.members
        outputs = [n(frames, batch, self.item_frame(), uses, chosen) for n in networks]
        return outputs[0] if len(outputs) == 1 else torch.stack(outputs).mean(dim=0)

    def outputs(self, sampler: TemporalSampler, seeds: np.ndarray, cutoffs: np.ndarray, *rest) -> torch.Tensor:
        """:meth:`run` of :meth:`inputs` (one batch, no prefetching)."""
        return self.run(self.inputs(sampler, seeds, cutoffs, *rest))

    def item_frame(self):
        """Link prediction's items (every row of the item table), moved to the device once."""
        if self.item_table is None:
            return None
        if self._item_frame is None:
            self._item_frame = to_device(self.tables[self.item_table].tensor_frame, self.device)
        return self._item_frame

    def batches(self, train: SplitData, epoch: int) -> list[np.ndarray]:
        """Every worker's examples together at each step of ``epoch`` (the global batches)."""
        order = np.random.default_rng(epoch_seed(self.options.seed, epoch, 0)).permutation(len(train))
        size = self.options.batch_size * self.world
        found = [order[i : i + size] for i in range(0, len(order), size)][: self.options.max_steps_per_epoch]
        return [b for b in found if len(b) >= self.world]  # a worker without an example would stall the others

    def steps(self, train: SplitData, epoch: int) -> list[np.ndarray]:
        """This worker's part of each global batch (all of it for a single worker)."""
        return [self._part(b) for b in self.batches(train, epoch)]

    def _part(self, batch: np.ndarray) -> np.ndarray:
        return batch if self.world == 1 else np.array_split(batch, self.world)[self.rank]

    def train_epoch(self, train: SplitData, epoch: int, on_step=None) -> float:
        self.model.train()
        torch.manual_seed(epoch_seed(self.options.seed, epoch, 1, self.rank))
        sampler = self.sampler(epoch_seed(self.options.seed, epoch, 2, self.rank))
        steps = self.batches(train, epoch)
        parts = [self._part(b) for b in steps]
        inputs = (
            self.inputs(sampler, train.seeds[i], train.cutoffs[i], train.history, i, train.features) for i in parts
        )
        losses = []
        for batch, index, prepared in zip(steps, parts, self._ahead(inputs)):
            loss = self.loss(self.run(prepared, self.network), train, index)
            self.optimizer.zero_grad()
            self._scaled(loss, len(index), len(batch)).backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            losses.append(loss.item())
            if on_step:
                on_step(loss.item())
        return self.average(float(np.mean(losses)))

    def _scaled(self, loss: torch.Tensor, size: int, total: int) -> torch.Tensor:
        """A worker's mean loss weighted by its share of the global batch of ``total`` examples, so the average
        DistributedDataParallel all-reduces the gradients to is the global batch's mean (parts may differ by one)."""
        return loss if size * self.world == total else loss * (size * self.world / total)

    def loss(self, out: torch.Tensor, train: SplitData, index: np.ndarray) -> torch.Tensor:
        kind = task_kind(self.targets.task_type)
        return kind.loss(out, to_device(kind.batch(train.target, index), self.device))

    @torch.no_grad()
    def predict_outputs(
        self,
        seeds: np.ndarray,
        cutoffs: np.ndarray,
        seed: int,
        history: ItemHistory | None = None,
        features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Raw model outputs for every example, in order, on the CPU (a fixed sampler seed: same input, same
        output); an ensemble's are its members' average."""
        for member in self.members:
            member.eval()
        sampler = self.sampler(seed)
        size = self.options.batch_size * 2
        starts = range(0, len(seeds), size)
        batches = (
            self.inputs(
                sampler,
                seeds[i : i + size],
                cutoffs[i : i + size],
                history,
                np.arange(i, min(i + size, len(seeds))),
                features,
            )
            for i in starts
        )
        parts = [self.run(inputs).cpu() for inputs in self._ahead(batches)]
        return torch.cat(parts) if parts else torch.empty(0)

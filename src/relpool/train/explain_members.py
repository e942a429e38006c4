"""A served seed ensemble explained (:mod:`relpool.train.ensemble`): each member's scores on the same
sampled subgraph, averaged, so an explanation describes the model predict serves, not one of its members.

The ensemble's output is the average of its members' raw outputs, and integrated gradients are linear in
the function, so the average of the members' attributions is the ensemble's own (each member integrates
from its own embedding of the same background rows; completeness holds for the average). A row's occlusion
score, |change of the output| when it sends no messages, becomes the members' mean |change|: at least the
ensemble's own |change|, and equal to it where the members move the same way. Attention weights are
averaged path by path. Multiclass and link prediction score the ensemble's likeliest class or top item in
every member, so the members' scores are of one output.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

import torch


def averaged(results: list):
    """The members' results (one per member, in order), averaged (:func:`mean_of`); a single network's as it is."""
    return results[0] if len(results) == 1 else mean_of(results)


def mean_of(values: list):
    """The element-wise mean of like results: floating tensors and floats averaged, dicts key by key and
    dataclasses field by field (the first result's keys); anything else (names, integer targets) the first's."""
    first = values[0]
    if isinstance(first, torch.Tensor) and first.is_floating_point():
        return torch.stack(values).mean(dim=0)
    if isinstance(first, float):
        return sum(values) / len(values)
    if isinstance(first, dict):
        return {key: mean_of([v[key] for v in values]) for key in first}
    if is_dataclass(first) and not isinstance(first, type):
        return replace(first, **{f.name: mean_of([getattr(v, f.name) for v in values]) for f in fields(first)})
    return first

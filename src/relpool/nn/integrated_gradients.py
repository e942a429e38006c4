"""Integrated gradients (Sundararajan et al., 2017) of one scalar per integration step, over several inputs.

Written here rather than imported from captum, whose ``IntegratedGradients`` this reproduces (its default
Gauss-Legendre rule; tests/test_integrated_gradients.py compares the two): importing ``captum.attr`` runs
its package ``__init__``, which imports its LLM attribution and, through that, matplotlib.pyplot. That cost
0.5-1.2 s of every fresh process's first explanation, a third of issue 15's 2 s budget, for an algorithm
this short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor


def integrated_gradients(
    forward: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    baselines: Sequence[Tensor],
    steps: int,
    chunk: int | None = None,
) -> list[Tensor]:
    """Each input's attribution: (input - baseline) x the average gradient along the straight path between
    them, the average taken by ``steps``-point Gauss-Legendre quadrature.

    Every input and baseline has a leading dimension of 1; ``forward`` takes them stacked along it, one
    point of the path per index, and returns one number per point. ``chunk``: at most this many points per
    forward pass (None: all at once), to bound memory."""
    if steps < 1 or (chunk is not None and chunk < 1):
        raise ValueError(f"integrated gradients needs steps and chunk of at least 1, got {steps} and {chunk}")
    if any(x.size(0) != 1 for x in inputs):
        raise ValueError("integrated gradients takes inputs with a leading dimension of 1")
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    alphas, step_weights = (nodes + 1) / 2, weights / 2  # [-1, 1] mapped onto the path's [0, 1]
    differences = [x - b for x, b in zip(inputs, baselines)]
    totals = [torch.zeros_like(x) for x in inputs]
    size = chunk or steps
    for start in range(0, steps, size):
        points = slice(start, start + size)
        scaled = [(b + _along(alphas[points], d) * d).requires_grad_() for b, d in zip(baselines, differences)]
        with torch.enable_grad():
            grads = torch.autograd.grad(forward(*scaled).sum(), scaled, allow_unused=True, materialize_grads=True)
        for total, grad, d in zip(totals, grads, differences):
            total += (grad * _along(step_weights[points], d)).sum(dim=0, keepdim=True)
    return [total * d for total, d in zip(totals, differences)]


def completeness_gap(
    forward: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    baselines: Sequence[Tensor],
    attributions: Sequence[Tensor],
) -> Tensor:
    """The attributions' sum minus f(inputs) - f(baselines): zero for exact integration, so its size says
    whether the steps were enough (captum's convergence delta)."""
    with torch.no_grad():
        change = forward(*inputs) - forward(*baselines)
    return sum(a.sum() for a in attributions) - change.sum()


def _along(values: np.ndarray, like: Tensor) -> Tensor:
    """``values`` as a [points, 1, 1, ...] tensor that broadcasts over one input's non-leading dimensions."""
    return torch.as_tensor(values, dtype=like.dtype, device=like.device).view(-1, *([1] * (like.dim() - 1)))

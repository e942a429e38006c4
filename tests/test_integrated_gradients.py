"""relpool's integrated gradients against captum's IntegratedGradients (the oracle) and a closed form."""

from __future__ import annotations

import pytest
import torch

from relpool.nn.integrated_gradients import completeness_gap, integrated_gradients


def _network() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(7, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))


def _forward(network: torch.nn.Module):
    """One number per path point from two inputs of different shapes ([1, 3, 4] columns, [1, 3] ages)."""

    def forward(columns: torch.Tensor, ages: torch.Tensor) -> torch.Tensor:
        rows = torch.cat([columns, ages.unsqueeze(-1) ** 2], dim=-1)  # [points, 3, 5]
        mixed = torch.cat([rows.sum(dim=1), rows.amax(dim=1)[:, :2]], dim=1)  # [points, 7]
        return network(mixed).squeeze(1)

    return forward


def _inputs() -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    inputs = [torch.randn(1, 3, 4, generator=generator), torch.randn(1, 3, generator=generator)]
    baselines = [torch.randn(1, 3, 4, generator=generator) * 0.1, torch.zeros(1, 3)]
    return inputs, baselines


@pytest.mark.parametrize("steps, chunk", [(16, None), (16, 5), (7, 1), (50, 16)])
def test_it_matches_captums_integrated_gradients(steps, chunk):
    IntegratedGradients = pytest.importorskip("captum.attr").IntegratedGradients  # the dev extra's oracle
    forward = _forward(_network())
    inputs, baselines = _inputs()
    ours = integrated_gradients(forward, inputs, baselines, steps, chunk)
    theirs, delta = IntegratedGradients(forward).attribute(
        tuple(inputs),
        baselines=tuple(baselines),
        n_steps=steps,
        internal_batch_size=chunk,
        return_convergence_delta=True,
    )
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    gap = completeness_gap(forward, inputs, baselines, ours)
    torch.testing.assert_close(gap, delta.sum(), rtol=1e-4, atol=1e-6)


def test_a_linear_function_gets_its_weights_times_the_difference():
    weights = torch.tensor([[0.5, -2.0, 3.0]])
    inputs, baselines = [torch.tensor([[1.0, 2.0, -1.0]])], [torch.tensor([[0.5, 0.0, 1.0]])]
    (found,) = integrated_gradients(lambda x: (x * weights).sum(dim=1), inputs, baselines, steps=3)
    torch.testing.assert_close(found, weights * (inputs[0] - baselines[0]))
    gap = completeness_gap(lambda x: (x * weights).sum(dim=1), inputs, baselines, [found])
    assert abs(float(gap)) < 1e-6


def test_an_input_the_output_ignores_gets_zero_and_gradients_stay_off():
    inputs, baselines = [torch.ones(1, 2), torch.ones(1, 3)], [torch.zeros(1, 2), torch.zeros(1, 3)]
    with torch.no_grad():  # explain runs inside no_grad blocks elsewhere; the integral needs its own graph
        used, unused = integrated_gradients(lambda a, b: (a**2).sum(dim=1), inputs, baselines, steps=8)
    torch.testing.assert_close(used, torch.ones(1, 2))  # the integral of 2x from 0 to 1
    assert not unused.any()
    assert not used.requires_grad


def test_bad_steps_or_inputs_are_refused():
    inputs, baselines = [torch.ones(2, 3)], [torch.zeros(2, 3)]
    with pytest.raises(ValueError, match="leading dimension"):
        integrated_gradients(lambda x: x.sum(dim=1), inputs, baselines, steps=4)
    with pytest.raises(ValueError, match="at least 1"):
        integrated_gradients(lambda x: x.sum(dim=1), [torch.ones(1, 3)], [torch.zeros(1, 3)], steps=4, chunk=0)

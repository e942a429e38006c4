"""The kNN-centroid task of Brothers (ICML 2025), "Robust Noise Attenuation via
Adaptive Pooling of Transformer Outputs", section on signal-to-noise ratio.

A sample is a set of N vectors in d dimensions. Per sample, each feature column
comes from a randomly chosen family with random parameters: Normal(mu ~ U(-3, 3),
sigma ~ U(1, 3)), Uniform(lo ~ U(-3, 3), width ~ U(0.2, 3)) or a shifted, signed
Exponential(scale ~ U(0.1, 2), shift ~ U(0, 3)); the d columns are a random
choice among d//3 + 1 columns of each family, scaled by 1/sqrt(d). The target is
the mean of the k nearest neighbours of x_0 (x_0 excluded): k of N vectors carry
signal, so SNR = k / N.
"""

from __future__ import annotations

import numpy as np


def sample_sets(n: int, rng: np.random.Generator, num_vectors: int = 128, dim: int = 16) -> np.ndarray:
    """``n`` sets of shape [num_vectors, dim], float32."""
    m = dim // 3 + 1
    cols = (n, 1, m)  # parameters are per sample and column, shared by its vectors
    shape = (n, num_vectors, m)
    normal = rng.normal(rng.uniform(-3, 3, cols), rng.uniform(1, 3, cols), shape)
    low = rng.uniform(-3, 3, cols)
    uniform = rng.uniform(low, low + rng.uniform(0.2, 3, cols), shape)
    sign = rng.choice([-1.0, 1.0], cols)
    expo = sign * rng.exponential(rng.uniform(0.1, 2, cols), shape) - sign * rng.uniform(0, 3, cols)
    features = np.concatenate([normal, uniform, expo], axis=-1) / np.sqrt(dim)
    chosen = np.argsort(rng.random((n, 1, 3 * m)), axis=-1)[..., :dim]
    return np.take_along_axis(features, chosen, axis=-1).astype(np.float32)


def knn_centroid(x: np.ndarray, k: int) -> np.ndarray:
    """Mean of the k nearest neighbours (Euclidean) of ``x[:, 0]``, excluding it: [n, dim]."""
    dist = np.linalg.norm(x - x[:, :1], axis=-1)
    dist[:, 0] = np.inf
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(x, nearest[..., None], axis=1).mean(axis=1)


def reference_losses(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """MSE of two model-free predictors: the mean of all vectors, and x_0 itself."""
    return {"mean_of_all": float(np.mean((x.mean(axis=1) - y) ** 2)), "x0": float(np.mean((x[:, 0] - y) ** 2))}

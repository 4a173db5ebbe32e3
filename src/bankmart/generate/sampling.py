"""Random-number plumbing shared by the generator's modules.

Each (seed, stream, chunk) triple gets its own numpy Generator. Chunks never share a stream, so
a chunk's rows depend only on the command's parameters and the chunk's position, not on how
many rows another table or an earlier chunk happened to draw.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np


def rng_for(seed: int, stream: str, chunk: int = 0) -> np.random.Generator:
    """A Generator private to one table (stream) and one chunk of one bank."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(stream.encode()), chunk]))


def choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row from a (rows, k) matrix of row-wise weights (need not sum to 1).

    A loop over the k columns keeps memory at a few row-length vectors however many rows there
    are, which a (rows, k) cumulative-sum matrix would not.
    """
    probs = np.asarray(probs)
    total = probs.sum(axis=1)
    target = rng.random(probs.shape[0]) * total
    chosen = np.zeros(probs.shape[0], dtype=np.int64)
    running = np.zeros(probs.shape[0])
    for k in range(probs.shape[1] - 1):
        running += probs[:, k]
        chosen += target >= running
    return chosen


BATCH_ROWS = 1 << 18


def choose_rows_batched(
    rng: np.random.Generator, n: int, weights_for: Callable[[slice], np.ndarray]
) -> np.ndarray:
    """choose_rows over row batches: the (rows, k) weight matrix never exists for all rows.

    The batch size is a constant, so the draws (and the bank) do not depend on memory limits.
    """
    out = np.empty(n, dtype=np.int64)
    for start in range(0, n, BATCH_ROWS):
        rows = slice(start, min(n, start + BATCH_ROWS))
        out[rows] = choose_rows(rng, weights_for(rows))
    return out


def choose(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn from one fixed weight vector."""
    weights = np.asarray(weights, dtype=float)
    cumulative = np.cumsum(weights / weights.sum())
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(size), side="right")


def beta_around(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    """Beta draws with the given means: a share that varies widely between customers."""
    mean = np.clip(np.asarray(mean, dtype=float), 1e-4, 1 - 1e-4)
    return rng.beta(mean * concentration, (1 - mean) * concentration)


def lognormal_mean_one(rng: np.random.Generator, sigma: np.ndarray | float, size) -> np.ndarray:
    """Multiplicative noise with expectation 1, so it spreads values without shifting averages."""
    sigma = np.asarray(sigma, dtype=float)
    return np.exp(rng.normal(0.0, 1.0, size) * sigma - 0.5 * sigma**2)


def pick_in_groups(
    u: np.ndarray, starts: np.ndarray, sizes: np.ndarray, skew: float = 1.0
) -> np.ndarray:
    """Index into sorted groups: start + a position skewed towards the front of the group.

    skew > 1 concentrates choices on the first members (popular merchants get most visits);
    skew = 1 is uniform. Groups of size 0 must be handled by the caller.
    """
    position = np.floor(sizes * u**skew).astype(np.int64)
    return starts + np.minimum(position, np.maximum(sizes - 1, 0))

"""PDQ, Meta's 256-bit perceptual hash (github.com/facebook/ThreatExchange, pdq/), in NumPy.

The reference: float luma (0.299 R + 0.587 G + 0.114 B); two passes of a box filter of window
``ceil(side / 128)`` along rows and columns (a tent filter, the box shrinking at the borders);
sample 64x64 points; take DCT-II frequencies 1..16 in both directions; a bit is set where the
coefficient exceeds the median (the 128th smallest). The filter and sampling are linear, so they
are applied as two small matrices (``64 x side``), built once per image side length; the result
matches the C++ reference up to float rounding. The hex string is the reference's: bit 255 first.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from imagededup.hashes.algorithms import HashAlgorithm

_LUMA = np.array([0.299, 0.587, 0.114])
_GRID = 64


class PDQ(HashAlgorithm):
    """PDQ: 256 bits from the 16x16 lowest non-DC DCT frequencies of a tent-filtered 64x64 luma."""

    name, bits, shape = "pdq", 256, (_GRID, _GRID)
    _dct = np.sqrt(2 / _GRID) * np.cos(
        np.pi / 2 / _GRID * np.arange(1, 17)[:, None] * (2 * np.arange(_GRID) + 1)
    )

    def reduce(self, image: Image.Image, shape: tuple[int, int]) -> np.ndarray:
        luma = (np.asarray(image, dtype=np.float64) @ _LUMA).astype(np.float32)
        rows, cols = luma.shape
        return tent_sampler(rows) @ luma @ tent_sampler(cols).T

    def bits_of(self, reduced: np.ndarray) -> np.ndarray:
        coefficients = self._dct @ reduced.astype(np.float64) @ self._dct.T
        flat = coefficients[:, ::-1, ::-1].reshape(len(reduced), -1)  # hex order: bit 255 first
        median = np.partition(flat, 127, axis=1)[:, 127:128]
        return flat > median


@lru_cache(maxsize=64)
def tent_sampler(length: int) -> np.ndarray:
    """``64 x length`` float32 matrix: two passes of PDQ's box filter, then its 64-point sampling.

    Output ``o`` of one pass is the mean of inputs ``[o - (w - h), o + h)`` clipped to the vector,
    with window ``w = ceil(length / 128)`` and ``h = (w + 2) // 2``, as in the reference.
    """
    window = (length + 2 * _GRID - 1) // (2 * _GRID)
    half = (window + 2) // 2
    positions = np.arange(length)
    start = np.maximum(positions - (window - half), 0)
    stop = np.minimum(positions + half, length)
    weight = 1.0 / (stop - start)
    samples = ((np.arange(_GRID) + 0.5) * length / _GRID).astype(np.int64)
    # Row k of the result is sum over m in window(samples[k]) of weight[samples[k]] * row m of the
    # one-pass matrix; row m is weight[m] on [start[m], stop[m]): add it as a difference array.
    counts = stop[samples] - start[samples]
    rows = np.repeat(np.arange(_GRID), counts)
    inner = np.concatenate(
        [np.arange(a, b) for a, b in zip(start[samples], stop[samples], strict=True)]
    )
    contribution = weight[samples][rows] * weight[inner]
    deltas = np.zeros((_GRID, length + 1))
    np.add.at(deltas, (rows, start[inner]), contribution)
    np.add.at(deltas, (rows, stop[inner]), -contribution)
    sampler = np.cumsum(deltas, axis=1)[:, :length].astype(np.float32)
    sampler.setflags(write=False)  # shared by the cache
    return sampler

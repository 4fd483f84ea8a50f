"""Pairs joined through shared neighbours: copies of one original that do not match each other.

A crop and a rotated copy of the same photo may both match the original and each other copy,
yet score below the threshold together. Joining every such chain (connected groups) would also
join two different textures through one false match, so a pair is added only when the two
images' neighbourhoods agree: the Jaccard overlap of their matches, each image counting as its
own neighbour, is at least ``SHARED`` (shared-nearest-neighbour similarity). One false match
between two groups of copies shares almost nothing and adds nothing. Measured on the tuning
halves of benchmarks/sets/photos.py, the dev set and imagededup's protocol (README, "Accuracy").
"""

from __future__ import annotations

import numpy as np

from imagededup.search.exact import unique_pairs
from imagededup.search.pairs import Pairs

SHARED = 0.3
"""Least overlap (Jaccard, self included) of two images' neighbourhoods that makes them a pair."""
MAX_NEIGHBOURS = 64
"""An image with more matches than this joins none of them: such hubs are look-alike images
(textures, star fields) more often than copies, and their pairs grow with the square."""


def shared_neighbour_pairs(pairs: Pairs, count: int, least: float = SHARED) -> Pairs:
    """The pairs among ``count`` images that ``pairs`` lack and whose neighbourhoods overlap by
    at least ``least``, as ``first < second``, scored by their best shared neighbour: the lower
    of its two scores, so every score still clears the threshold ``pairs`` were found at.
    ``pairs`` may hold a pair twice or either way round (as a distributed search writes them).
    """
    pairs = unique_pairs(pairs)
    if len(pairs) < 2:
        return Pairs.empty(pairs.scores.dtype.type)
    first, second, scores = _joined(pairs, count, least)
    return Pairs(first, second, scores.astype(pairs.scores.dtype))


def _joined(pairs: Pairs, count: int, least: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``shared_neighbour_pairs`` of ``first < second`` pairs, each once."""
    hub = np.concatenate([pairs.first, pairs.second])
    other = np.concatenate([pairs.second, pairs.first])
    score = np.concatenate([pairs.scores, pairs.scores]).astype(np.float32)
    degree = np.bincount(hub, minlength=count)
    order = np.argsort(hub, kind="stable")
    hub, other, score = hub[order], other[order], score[order]
    size = degree[hub]
    usable = (size >= 2) & (size <= MAX_NEIGHBOURS)
    start = np.cumsum(degree) - degree  # each hub's first row in the sorted arrays
    later = np.where(usable, start[hub] + size - 1 - np.arange(len(hub)), 0)
    # every row paired with each later row of the same hub: two neighbours of one image
    rows = np.repeat(np.arange(len(hub)), later)
    step = np.arange(len(rows)) - np.repeat(np.cumsum(later) - later, later) + 1
    a, b = other[rows], other[rows + step]
    via = np.minimum(score[rows], score[rows + step])
    low, high = np.minimum(a, b), np.maximum(a, b)
    key = low.astype(np.int64) * count + high
    known = np.sort(pairs.first.astype(np.int64) * count + pairs.second)
    found = np.searchsorted(known, key)
    new = known[np.minimum(found, len(known) - 1)] != key
    key, via = key[new], via[new]
    if len(key) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    order = np.lexsort((-via, key))  # by pair, best shared neighbour first
    key, via = key[order], via[order]
    unique, first_row, shared = np.unique(key, return_index=True, return_counts=True)
    low, high = unique // count, unique % count
    overlap = shared / (degree[low] + degree[high] + 2 - shared)
    keep = overlap >= least - 1e-9
    return low[keep], high[keep], via[first_row][keep]

"""The copy-aware search cut into partitions that can be searched apart (on Ray workers).

Each vector has a home list (its nearest coarse centroid) and is also sent, as a query, to the
other lists whose centroid is almost as near (within ``MARGIN``, at most ``MAX_LISTS`` in all):
near-duplicates split by a list border still meet. A partition compares all its queries' views
with its home vectors in plain matrix products (as ``ivf_range_blocks`` does with a list), and
keeps, for the crowding normalisation, each query's neighbours below ``CAP``; crowding is then
merged across the partitions a vector visited (home sets do not overlap, so no neighbour counts
twice) and computed by ``copies.crowd_of``, as the single-machine search does. With one
partition the result is the exact search's.
"""

from __future__ import annotations

import math

import faiss
import numpy as np

from imagededup.search.ann import SEED, TRAIN_ITERATIONS
from imagededup.search.copies import CAP, K, crowd_of, highest_below_cap
from imagededup.search.exact import above, unique_pairs
from imagededup.search.pairs import Pairs
from imagededup.search.rows import float_rows, views_of
from imagededup.vectors import normalize

PARTITION_ROWS = 10_000
"""Home vectors per partition, on average: the coarse quantiser has ``N / 10,000`` lists."""
MARGIN = 0.06
"""A vector also queries lists whose centroid similarity is within 0.06 of its nearest one's."""
MAX_LISTS = 16
"""Lists a vector queries at most (its home included)."""
TRAIN_PER_LIST = 256
PRODUCT_CELLS = 1 << 20
"""Similarities computed per matrix product (4 MiB): a worker's memory is its list's rows."""


def list_count(count: int) -> int:
    """Coarse lists (partitions) for ``count`` vectors."""
    return max(1, math.ceil(count / PARTITION_ROWS))


def train_lists(sample: np.ndarray, nlist: int) -> np.ndarray:
    """``nlist`` unit centroids (spherical k-means, as FAISS's IVF trains) of unit rows."""
    if nlist == 1:
        return normalize(sample.mean(axis=0, keepdims=True))
    kmeans = faiss.Kmeans(sample.shape[1], nlist, niter=TRAIN_ITERATIONS, spherical=True, seed=SEED)
    kmeans.train(float_rows(sample, slice(None)))
    return kmeans.centroids


def nearest_lists(images: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lists each of ``images`` (unit rows) goes to: ``(row, list)`` arrays, home first.

    A row's home is its nearest centroid; other lists within ``MARGIN`` of it follow.
    """
    sims = images @ centroids.T
    take = min(MAX_LISTS, len(centroids))
    near = np.argsort(-sims, axis=1, kind="stable")[:, :take]
    near_sims = np.take_along_axis(sims, near, axis=1)
    keep = near_sims >= near_sims[:, :1] - MARGIN
    rows = np.repeat(np.arange(len(images)), keep.sum(axis=1))
    return rows, near[keep]


def search_partition(
    vectors: np.ndarray,
    ids: np.ndarray,
    home: np.ndarray,
    threshold: float,
    view_count: int,
    background: np.ndarray | None = None,
) -> tuple[Pairs, np.ndarray, np.ndarray]:
    """Pairs and crowding neighbours of one partition.

    ``vectors`` (side-by-side views) and global ``ids`` of every row sent to the partition;
    ``home`` marks the rows whose home it is. Returns the pairs (global ids, ``first < second``,
    best score over views, raw scores), and for each row its ``K`` highest image similarities
    to the home rows below ``CAP`` (descending, ``-inf`` padded) and its count at or above.
    The home rows' similarities to ``background`` (see ``copies.crowding``) join theirs, so
    each file meets the background once, in its home partition.
    """
    queries = views_of(vectors, view_count)
    base = float_rows(queries[0], np.flatnonzero(home))
    base_ids = ids[home]
    below = np.full((len(vectors), K), -np.inf, np.float32)
    over_cap = np.zeros(len(vectors), np.int64)
    parts = []
    step = max(1, PRODUCT_CELLS // max(len(base), 1))
    for start in range(0, len(vectors), step):
        rows = slice(start, start + step)
        for number, view in enumerate(queries):
            sims = float_rows(view, rows) @ base.T
            parts.append(above(sims, threshold, ids[rows], base_ids))
            if number == 0:
                over_cap[rows] = (sims >= CAP).sum(axis=1)
                if background is not None:
                    extra = float_rows(view, rows) @ background.T
                    extra[~home[rows]] = -np.inf
                    sims = np.concatenate([sims, extra], axis=1)
                below[rows] = highest_below_cap(sims)
    return unique_pairs(Pairs.concat(parts)), below, over_cap


def merged_crowding(
    ids: np.ndarray, below: np.ndarray, over_cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Crowding of each distinct id from its rows of several partitions: ``(ids, crowd)``."""
    if len(ids) == 0:
        return ids, np.empty(0, np.float32)
    order = np.argsort(ids, kind="stable")
    ids, below, over_cap = ids[order], below[order], over_cap[order]
    distinct, starts, counts = np.unique(ids, return_index=True, return_counts=True)
    slot = np.arange(len(ids)) - np.repeat(starts, counts)
    merged = np.full((len(distinct), counts.max(initial=1), K), -np.inf, np.float32)
    owner = np.repeat(np.arange(len(distinct)), counts)
    merged[owner, slot] = below
    merged = -np.sort(-merged.reshape(len(distinct), -1), axis=1)[:, :K]
    return distinct, crowd_of(merged, np.add.reduceat(over_cap, starts))

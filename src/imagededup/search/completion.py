"""Files that match nothing, yet whose nearest neighbours are all copies of one original.

A wallpaper's screenshot under two windows, or a rotated crop of a photo, can score below the
threshold with every copy of its original while those copies are still its nearest neighbours:
the CNN ranks better than it scores. Such a lone file joins the group when its ``NEAREST``
nearest images all belong to that one group and each scores at least ``REACH`` under the
threshold (a stricter threshold asks more of them too). A file with no copy has its nearest
neighbours spread over look-alikes, or meets one group of copies of a look-alike lower down.
Graphics are left to ``search.graphics`` (the CNN is a poor judge of small flat drawings).
Measured on the tuning halves of benchmarks/sets (README, "Lone files").
"""

from __future__ import annotations

import numpy as np

from imagededup.groups import connected_groups
from imagededup.search.ann import ivf_index, ivf_range_blocks
from imagededup.search.auto import EXACT_MAX_VECTORS, base_index
from imagededup.search.copies import FLOOR as CROWD_FLOOR
from imagededup.search.copies import crowding, penalised, view_scores
from imagededup.search.drawing import Drawings
from imagededup.search.exact import best_pairs, blocks, cross_blocks
from imagededup.search.graphics import SearchVectors
from imagededup.search.pairs import Pairs
from imagededup.search.rows import float_rows, views_of

NEAREST = 2
"""How many of a lone file's nearest images must all lie in one group for it to join."""
REACH = 0.23
"""How far under the threshold each of those nearest images may score (view-aware, less the
crowding penalty, as the search scores pairs): 0.40 at the default 0.63 (README, "Lone
files", for the others tried)."""
ABOVE_CROWD = 0.1
"""How far each of those scores must also exceed the crowding of both its images (the 20th
nearest's score, ``copies.crowding``): among look-alikes such as star fields a file's nearest
are near anyway. An image in an ordinary neighbourhood (crowding 0.3) passes at any score over
the floor of 0.40."""
EXACT_PRODUCT = EXACT_MAX_VECTORS**2 // 2
"""Most query-image pairs searched exactly: as many as the search of a collection at the size
where it turns approximate (``search.auto``); more go through an IVF index."""
QUERY_ROWS = 1 << 16
"""Lone files searched at a time (their views copied out: 128 MiB at 512-d)."""


def completing_pairs(
    pairs: Pairs, searched: SearchVectors, read: Drawings, threshold: float
) -> Pairs:
    """Pairs ``(file, member)`` that join each file in none of ``pairs`` to the group of its
    ``NEAREST`` nearest images (``searched``), when they all lie in one group of ``pairs`` and
    each scores at least ``threshold - REACH`` less the crowding penalty (look-alikes such as
    star fields are near each other); no graphic (``read``) takes part. Scored view-aware."""
    count = len(searched.vectors)
    groups = [g for g in connected_groups(count, pairs) if len(g) >= NEAREST]
    label = np.full(count, -1, np.int64)
    for k, group in enumerate(groups):
        if all(read.graphic(i) is None for i in group):
            label[group] = k
    lone = np.setdiff1d(np.arange(count), np.concatenate([pairs.first, pairs.second]))
    lone = np.array([i for i in lone.tolist() if read.graphic(i) is None], np.int64)
    if len(lone) == 0 or not (label >= 0).any():
        return Pairs.empty()
    # First among the grouped files only (few, in most collections), then, for the files that
    # would join, among all: the same files join as if all were searched at once.
    for among in (np.flatnonzero(label >= 0), None):
        nearest = nearest_above(searched, lone, among, threshold - REACH)
        owner = np.where(nearest >= 0, label[nearest], -1)
        joins = (owner[:, 0] >= 0) & (owner == owner[:, :1]).all(axis=1)
        lone, owner, nearest = lone[joins], owner[joins], nearest[joins]
    first, second = np.repeat(lone, NEAREST), nearest.ravel()
    near = Pairs(first, second, view_scores(searched.vectors, searched.view_count, first, second))
    crowd = crowding_of(searched, np.union1d(near.first, near.second))
    clear = penalised(near, crowd, crowd) >= threshold - REACH - 1e-6
    clear &= near.scores - np.maximum(crowd[near.first], crowd[near.second]) >= ABOVE_CROWD - 1e-6
    joins = clear.reshape(-1, NEAREST).all(axis=1)
    files = [(int(i), groups[int(g)]) for i, g in zip(lone[joins], owner[joins, 0], strict=True)]
    first = np.array([i for i, group in files for _ in group], np.int64)
    second = np.array([j for _, group in files for j in group], np.int64)
    return Pairs(first, second, view_scores(searched.vectors, searched.view_count, first, second))


def crowding_of(searched: SearchVectors, rows: np.ndarray) -> np.ndarray:
    """The crowding (``copies.crowding``) of the images ``rows`` as the search computed it, in
    an array over all the searched images (``copies.FLOOR``, no penalty, for the others)."""
    crowd = np.full(len(searched.vectors), CROWD_FLOOR, np.float32)
    if len(rows):
        images = views_of(searched.vectors, searched.view_count)[0]
        crowd[rows] = crowding(base_index(images), float_rows(images, rows), searched.background)
    return crowd


def nearest_above(
    searched: SearchVectors, queries: np.ndarray, among: np.ndarray | None, floor: float
) -> np.ndarray:
    """The ``NEAREST`` nearest other images (rows of the searched vectors) of each of
    ``queries`` among the rows ``among`` (None: all) that score at least ``floor`` (the best
    of the query's image and its views against each image), nearest first, padded with -1."""
    images, *rotated = views_of(searched.vectors, searched.view_count)
    rows_of = np.arange(len(images)) if among is None else among
    nearest = np.full((len(queries), NEAREST), -1, np.int64)
    if len(queries) == 0 or len(rows_of) == 0:
        return nearest
    base = images if among is None else float_rows(images, among)
    index = ivf_index(base) if len(queries) * len(rows_of) > EXACT_PRODUCT else None
    for start, stop in blocks(len(queries), QUERY_ROWS):
        rows = queries[start:stop]
        parts = [
            part
            for view in (images, *rotated)
            for part in (
                cross_blocks(float_rows(view, rows), base, floor)
                if index is None
                else ivf_range_blocks(index, float_rows(view, rows), floor)
            )
        ]
        found = best_pairs(Pairs.concat(parts))
        query, image = found.first, rows_of[found.second]
        other = image != rows[query]
        query, image, score = query[other], image[other], found.scores[other]
        order = np.lexsort((-score, query))  # each query's images, nearest first
        query, image = query[order], image[order]
        rank = np.arange(len(query)) - np.searchsorted(query, query)
        top = rank < NEAREST
        nearest[start + query[top], rank[top]] = image[top]
    return nearest

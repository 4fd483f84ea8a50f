"""Duplicate pairs from copy-detection vectors: rotated views and neighbourhood normalisation.

Two measured changes over a plain cosine threshold (README, "Accuracy"):
- Views: each image also has the vector of a rotated copy of itself; a pair scores the best of
  image-vs-image and view-vs-image, so rotated copies match.
- Normalisation: look-alike images (star fields, textures) are all close to each other, which
  makes raw similarity a poor duplicate test among them. Each image's "crowding" is its k-th
  highest similarity to the collection and to the model's shipped background of look-alikes,
  so that a collection of a few images is normalised too (near-copies above ``CAP`` ignored,
  so large groups of copies do not count); a pair loses ``BETA`` times how far the more
  crowded image's crowding exceeds ``FLOOR``. Images in ordinary neighbourhoods keep their raw
  score (cf. SSCD's score normalisation, which subtracts a background neighbour's similarity).
"""

from __future__ import annotations

import faiss
import numpy as np

from imagededup.search.auto import base_index, query_blocks, use_approximate
from imagededup.search.exact import (
    PairSet,
    best_pairs,
    blocks,
    range_pairs,
    similar_pairs,
    stored_vectors,
    unique_pairs,
)
from imagededup.search.pairs import Pairs
from imagededup.search.rows import ViewRows, float_rows, views_of

K = 20
CAP = 0.9
BETA = 0.5
FLOOR = 0.3
EXTRA_NEIGHBOURS = 16
CROWDING_NPROBE = 16


def crowding(
    index: faiss.Index, queries: ViewRows | np.ndarray, background: np.ndarray | None = None
) -> np.ndarray:
    """Each query's ``K``-th highest similarity to the indexed vectors and the ``background``
    vectors (unit rows, None: none), ignoring those >= ``CAP``.

    Where fewer than ``K`` such neighbours exist, ``FLOOR`` (no penalty).
    """
    crowd = np.full(len(queries), FLOOR, np.float32)
    others = 0 if background is None else len(background)
    if index.ntotal + others == 0:
        return crowd
    params = None
    if isinstance(index, faiss.IndexIVF):  # a density estimate: fewer lists than pair search
        params = faiss.SearchParametersIVF(nprobe=min(CROWDING_NPROBE, index.nlist))
    for start, stop in blocks(len(queries)):
        block = float_rows(queries, slice(start, stop))
        sims = np.empty((len(block), 0), np.float32)
        found = np.empty((len(block), 0), np.int64)
        if index.ntotal:
            nearest = min(K + EXTRA_NEIGHBOURS, index.ntotal)
            sims, found = index.search(block, nearest, params=params)
        over_cap = ((found >= 0) & (sims >= CAP)).sum(axis=1)  # the background is complete
        sims = np.where(found < 0, -np.inf, sims)
        if others:
            assert background is not None
            sims = np.concatenate([sims, block @ background.T], axis=1)
        crowd[start:stop] = crowd_of(highest_below_cap(sims), over_cap)
    return crowd


def highest_below_cap(sims: np.ndarray) -> np.ndarray:
    """Each row's ``K`` highest values below ``CAP``, descending, ``-inf`` padded."""
    sims = np.where(sims >= CAP, -np.inf, sims).astype(np.float32)
    if sims.shape[1] > K:
        sims = -np.partition(-sims, K - 1, axis=1)[:, :K]
    sims = -np.sort(-sims, axis=1)
    padding = np.full((len(sims), K - sims.shape[1]), -np.inf, np.float32)
    return np.concatenate([sims, padding], axis=1)


def crowd_of(below: np.ndarray, over_cap: np.ndarray) -> np.ndarray:
    """Crowding from each query's highest similarities below ``CAP`` (descending, ``-inf``
    padded) and its count of neighbours at or above ``CAP``.

    The ``K``-th below ``CAP`` among the ``K + EXTRA_NEIGHBOURS`` nearest, else ``FLOOR``: so
    the same value whether the neighbours come from one search or are merged from several.
    """
    if below.shape[1] < K:
        return np.full(len(below), FLOOR, np.float32)
    kth = below[:, K - 1]
    known = np.isfinite(kth) & (over_cap <= EXTRA_NEIGHBOURS)
    return np.where(known, kth, FLOOR).astype(np.float32)


def normalized(
    pairs: Pairs, crowd_first: np.ndarray, crowd_second: np.ndarray, threshold: float
) -> Pairs:
    """``pairs`` with the crowding penalty applied, keeping those still >= ``threshold``."""
    worst = np.maximum(crowd_first[pairs.first], crowd_second[pairs.second])
    scores = pairs.scores - BETA * np.maximum(0.0, worst - FLOOR)
    keep = scores >= threshold - 1e-6
    return Pairs(pairs.first[keep], pairs.second[keep], scores[keep].astype(np.float32))


def view_scores(
    vectors: np.ndarray, view_count: int, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """The view-aware score of each pair ``(first[k], second[k])`` as the search gives it:
    the best of image vs image and of either image's rotated views vs the other image."""
    images, *rotated = views_of(vectors, view_count)
    a, b = float_rows(images, first), float_rows(images, second)
    best = np.einsum("ij,ij->i", a, b)
    for view in rotated:
        best = np.maximum(best, np.einsum("ij,ij->i", float_rows(view, first), b))
        best = np.maximum(best, np.einsum("ij,ij->i", float_rows(view, second), a))
    return np.clip(best, -1.0, 1.0)


def duplicate_pairs(
    vectors: np.ndarray,
    threshold: float,
    view_count: int = 1,
    approximate: bool | None = None,
    background: np.ndarray | None = None,
    also: tuple[np.ndarray, np.ndarray] | None = None,
) -> Pairs:
    """Pairs ``i < j`` of images whose normalised, view-aware score is >= ``threshold``;
    crowding also counts neighbours among ``background`` (unit image vectors, or None). The
    pairs ``also`` (first and second rows) are among them whatever their score.

    Memory is the vectors, one FAISS index of the images' own views, and the pairs found.
    """
    images, *rotated = views_of(vectors, view_count)
    index = base_index(images, approximate)
    found = PairSet(len(vectors))
    if use_approximate(len(vectors), approximate):
        rotated = [images, *rotated]
    else:  # exact: image-vs-image over the upper triangle only, straight from the index
        found.add(similar_pairs(stored_vectors(index), threshold))
    for view in rotated:
        for pairs in query_blocks(index, view, threshold):
            found.add(pairs)
    crowd = crowding(index, images, background)
    del index  # frees its copy of the vectors before the pairs are merged
    pairs = normalized(found.pairs(), crowd, crowd, threshold)
    if also is None or len(also[0]) == 0:
        return pairs
    extra = Pairs(also[0], also[1], view_scores(vectors, view_count, *also))
    return unique_pairs(Pairs.concat([pairs, normalized(extra, crowd, crowd, -np.inf)]))


class CopyIndex:
    """A collection's FAISS indexes (one per view) and crowding, to match new images against."""

    def __init__(
        self,
        vectors: np.ndarray,
        view_count: int = 1,
        approximate: bool | None = None,
        background: np.ndarray | None = None,
    ) -> None:
        images, *rotated = views_of(vectors, view_count)
        self.count = len(vectors)
        self.ids = base_index(images, approximate)
        self.rotated = [base_index(view, approximate) for view in rotated]
        self.background = background
        self.crowd = crowding(self.ids, images, background)

    def match(self, vectors: np.ndarray, threshold: float, view_count: int = 1) -> Pairs:
        """``(query, indexed)`` pairs whose normalised, view-aware score is >= ``threshold``."""
        queries = views_of(vectors, view_count)
        if len(vectors) == 0 or self.count == 0:
            return Pairs.empty()
        parts = [range_pairs(self.ids, view, threshold) for view in queries]
        parts += [range_pairs(index, queries[0], threshold) for index in self.rotated]
        pairs = best_pairs(Pairs.concat(parts))
        crowd = crowding(self.ids, queries[0], self.background)
        return normalized(pairs, crowd, self.crowd, threshold)

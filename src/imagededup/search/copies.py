"""Duplicate pairs from copy-detection vectors: rotated views and neighbourhood normalisation.

Two measured changes over a plain cosine threshold (README, "Accuracy"):
- Views: each image also has the vector of a rotated copy of itself; a pair scores the best of
  image-vs-image and view-vs-image, so rotated copies match.
- Normalisation: look-alike images (star fields, textures) are all close to each other, which
  makes raw similarity a poor duplicate test among them. Each image's "crowding" is its k-th
  highest similarity to the collection (near-copies above ``CAP`` ignored, so large groups of
  copies do not count); a pair loses ``BETA`` times how far the more crowded image's crowding
  exceeds ``FLOOR``. Images in ordinary neighbourhoods keep their raw score (cf. SSCD's score
  normalisation, which subtracts a background neighbour's similarity).
"""

from __future__ import annotations

import faiss
import numpy as np

from imagededup.models.onnx import normalize
from imagededup.search.auto import base_index, use_approximate
from imagededup.search.exact import best_pairs, range_pairs, similar_pairs, unique_pairs
from imagededup.search.pairs import Pairs

K = 20
CAP = 0.9
BETA = 0.5
FLOOR = 0.3
EXTRA_NEIGHBOURS = 16


def split_views(vectors: np.ndarray, view_count: int) -> list[np.ndarray]:
    """Unit vectors of each view, from images' side-by-side vectors (see ``OnnxEncoder``)."""
    if view_count == 1:
        return [normalize(vectors)]
    return [normalize(part) for part in np.split(vectors, view_count, axis=1)]


def crowding(index: faiss.Index, ids: np.ndarray) -> np.ndarray:
    """Each vector's ``K``-th highest similarity to the indexed ones, ignoring those >= ``CAP``.

    Where fewer than ``K`` such neighbours exist, ``FLOOR`` (no penalty).
    """
    if index.ntotal == 0 or len(ids) == 0:
        return np.full(len(ids), FLOOR, np.float32)
    sims, labels = index.search(ids, min(K + EXTRA_NEIGHBOURS, index.ntotal))
    sims = np.where((labels < 0) | (sims >= CAP), -np.inf, sims)
    sims = -np.sort(-sims, axis=1)
    kth = sims[:, K - 1] if sims.shape[1] >= K else np.full(len(ids), -np.inf)
    return np.where(np.isfinite(kth), kth, FLOOR).astype(np.float32)


def normalized(
    pairs: Pairs, crowd_first: np.ndarray, crowd_second: np.ndarray, threshold: float
) -> Pairs:
    """``pairs`` with the crowding penalty applied, keeping those still >= ``threshold``."""
    worst = np.maximum(crowd_first[pairs.first], crowd_second[pairs.second])
    scores = pairs.scores - BETA * np.maximum(0.0, worst - FLOOR)
    keep = scores >= threshold - 1e-6
    return Pairs(pairs.first[keep], pairs.second[keep], scores[keep].astype(np.float32))


def duplicate_pairs(
    vectors: np.ndarray, threshold: float, view_count: int = 1, approximate: bool | None = None
) -> Pairs:
    """Pairs ``i < j`` of images whose normalised, view-aware score is >= ``threshold``."""
    views = split_views(vectors, view_count)
    ids, count = views[0], len(vectors)
    index = base_index(ids, approximate)
    if use_approximate(count, approximate):
        image_pairs = range_pairs(index, ids, threshold)
    else:  # exact: image-vs-image over the upper triangle only
        image_pairs = similar_pairs(ids, threshold)
    # each view is queried on its own, never as one concatenated copy of them all
    view_pairs = [range_pairs(index, view, threshold) for view in views[1:]]
    found = unique_pairs(Pairs.concat([image_pairs, *view_pairs]))
    crowd = crowding(index, ids)
    return normalized(found, crowd, crowd, threshold)


class CopyIndex:
    """A collection's views, FAISS indexes and crowding, to match new images against."""

    def __init__(
        self, vectors: np.ndarray, view_count: int = 1, approximate: bool | None = None
    ) -> None:
        self.views = split_views(vectors, view_count)
        self.count = len(vectors)
        self.ids = base_index(self.views[0], approximate)
        self.rotated = [base_index(v, approximate) for v in self.views[1:]]
        self.crowd = crowding(self.ids, self.views[0])

    def match(self, vectors: np.ndarray, threshold: float, view_count: int = 1) -> Pairs:
        """``(query, indexed)`` pairs whose normalised, view-aware score is >= ``threshold``."""
        queries = split_views(vectors, view_count)
        if len(queries[0]) == 0 or self.count == 0:
            return Pairs.empty()
        parts = [range_pairs(self.ids, view, threshold) for view in queries]
        parts += [range_pairs(index, queries[0], threshold) for index in self.rotated]
        pairs = best_pairs(Pairs.concat(parts))
        return normalized(pairs, crowding(self.ids, queries[0]), self.crowd, threshold)

"""Exact cosine-similarity search: every pair at or above a threshold, without an N x N matrix.

FAISS's flat inner-product range search scans the vectors in blocks, so memory is the vectors
plus the matches; queries go in blocks too, which bounds the result buffers.
"""

from __future__ import annotations

import faiss
import numpy as np

from imagededup.search.pairs import Pairs

QUERY_BLOCK = 8192
# Scores of the same image computed along two paths differ in the last float bits.
TOLERANCE = 1e-6


def similar_pairs(vectors: np.ndarray, threshold: float) -> Pairs:
    """All ``i < j`` with ``vectors[i] . vectors[j] >= threshold`` (rows must be unit length)."""
    found = cross_pairs(vectors, vectors, threshold)
    keep = found.first < found.second
    return Pairs(found.first[keep], found.second[keep], found.scores[keep])


def cross_pairs(queries: np.ndarray, base: np.ndarray, threshold: float) -> Pairs:
    """All ``(q, b)`` with ``queries[q] . base[b] >= threshold``, scores clipped to [-1, 1]."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    base = np.ascontiguousarray(base, dtype=np.float32)
    if len(queries) == 0 or len(base) == 0:
        return Pairs.empty()
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    parts = []
    for start in range(0, len(queries), QUERY_BLOCK):
        lims, scores, ids = index.range_search(
            queries[start : start + QUERY_BLOCK], float(threshold) - TOLERANCE
        )
        rows = (
            np.repeat(np.arange(len(lims) - 1, dtype=np.int64), np.diff(lims).astype(np.int64))
            + start
        )
        parts.append(Pairs(rows, ids.astype(np.int64), np.clip(scores, -1.0, 1.0)))
    return Pairs.concat(parts)

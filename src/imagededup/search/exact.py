"""Exact cosine-similarity search: every pair at or above a threshold, without an N x N matrix.

FAISS's flat inner-product range search scans the vectors in blocks (BLAS), so memory is the
vectors plus the matches; queries go in blocks too, which bounds the result buffers.
"""

from __future__ import annotations

import faiss
import numpy as np

from imagededup.search.pairs import Pairs

QUERY_BLOCK = 8192
# Scores of the same image computed along two paths differ in the last float bits.
TOLERANCE = 1e-6


def flat_index(base: np.ndarray) -> faiss.Index:
    """An exact inner-product index over ``base`` (unit rows)."""
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(np.ascontiguousarray(base, dtype=np.float32))
    return index


def range_pairs(index: faiss.Index, queries: np.ndarray, threshold: float) -> Pairs:
    """All ``(q, b)`` with ``queries[q] . base[b] >= threshold`` in ``index``, scores in [-1, 1]."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    parts = []
    for start in range(0, len(queries), QUERY_BLOCK):
        lims, scores, ids = index.range_search(
            queries[start : start + QUERY_BLOCK], float(threshold) - TOLERANCE
        )
        rows = np.repeat(np.arange(len(lims) - 1, dtype=np.int64), np.diff(lims).astype(np.int64))
        parts.append(Pairs(rows + start, ids.astype(np.int64), np.clip(scores, -1.0, 1.0)))
    return Pairs.concat(parts)


def cross_pairs(queries: np.ndarray, base: np.ndarray, threshold: float) -> Pairs:
    """All ``(q, b)`` with ``queries[q] . base[b] >= threshold``, by exhaustive search."""
    if len(queries) == 0 or len(base) == 0:
        return Pairs.empty()
    return range_pairs(flat_index(base), queries, threshold)


def best_pairs(pairs: Pairs) -> Pairs:
    """Each ``(first, second)`` once, with its highest score."""
    if len(pairs) == 0:
        return pairs
    order = np.argsort(-pairs.scores, kind="stable")
    first, second, scores = pairs.first[order], pairs.second[order], pairs.scores[order]
    _, keep = np.unique(first * (int(second.max()) + 1) + second, return_index=True)
    return Pairs(first[keep], second[keep], scores[keep])


def unique_pairs(pairs: Pairs) -> Pairs:
    """A self-search's pairs as ``first < second``, each once with its best score.

    An approximate search may find a pair from one side only, so both directions are folded.
    """
    low = np.minimum(pairs.first, pairs.second)
    high = np.maximum(pairs.first, pairs.second)
    keep = low < high
    return best_pairs(Pairs(low[keep], high[keep], pairs.scores[keep]))


def similar_pairs(vectors: np.ndarray, threshold: float) -> Pairs:
    """All ``i < j`` with ``vectors[i] . vectors[j] >= threshold`` (rows must be unit length).

    Each block of queries is searched only against itself and the rows after it, which halves
    the work of a self-search.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    parts = []
    for start in range(0, len(vectors), QUERY_BLOCK):
        found = range_pairs(
            flat_index(vectors[start:]), vectors[start : start + QUERY_BLOCK], threshold
        )
        parts.append(Pairs(found.first + start, found.second + start, found.scores))
    return unique_pairs(Pairs.concat(parts))

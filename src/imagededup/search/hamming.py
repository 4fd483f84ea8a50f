"""Exact Hamming search: every pair of hashes within a distance, without comparing in Python.

Hashes are packed bits (``N x bytes`` uint8). FAISS's flat binary index compares them with
hardware popcounts; queries go in blocks, which bounds the result buffers. Scores are the integer
Hamming distances.
"""

from __future__ import annotations

import faiss
import numpy as np

from imagededup.search.pairs import Pairs

QUERY_BLOCK = 16384


def hamming_pairs(codes: np.ndarray, max_distance: int) -> Pairs:
    """All ``i < j`` whose codes differ in at most ``max_distance`` bits."""
    found = cross_hamming_pairs(codes, codes, max_distance)
    keep = found.first < found.second
    return found.take(keep)


def cross_hamming_pairs(queries: np.ndarray, base: np.ndarray, max_distance: int) -> Pairs:
    """All ``(q, b)`` whose codes differ in at most ``max_distance`` bits."""
    queries = np.ascontiguousarray(queries, dtype=np.uint8)
    base = np.ascontiguousarray(base, dtype=np.uint8)
    if len(queries) == 0 or len(base) == 0:
        return Pairs.empty(np.int64)
    index = faiss.IndexBinaryFlat(8 * base.shape[1])
    index.add(base)
    parts = []
    for start in range(0, len(queries), QUERY_BLOCK):
        # FAISS keeps distances strictly below the radius.
        lims, distances, ids = index.range_search(
            queries[start : start + QUERY_BLOCK], max_distance + 1
        )
        counts = np.diff(lims).astype(np.int64)
        rows = np.repeat(np.arange(len(counts), dtype=np.int64), counts) + start
        parts.append(Pairs(rows, ids.astype(np.int64), distances.astype(np.int64)))
    return Pairs.concat(parts)


def closest_per_pair(found: Pairs, versions: int) -> Pairs:
    """Pairs ``i < j`` of images from matches of their ``versions`` hashes (query row
    ``i * versions + k`` is version ``k`` of image ``i``), each with its smallest distance."""
    first = found.first // versions
    second = found.second
    low, high = np.minimum(first, second), np.maximum(first, second)
    keep = low != high
    low, high, scores = low[keep], high[keep], found.scores[keep]
    order = np.lexsort((scores, high, low))
    low, high, scores = low[order], high[order], scores[order]
    new = np.ones(len(low), dtype=bool)
    new[1:] = (low[1:] != low[:-1]) | (high[1:] != high[:-1])
    return Pairs(low[new], high[new], scores[new])

"""Exact cosine-similarity search: every pair at or above a threshold, without an N x N matrix.

Similarities are computed a block of rows against a block of columns at a time (BLAS), so
memory is the vectors plus one block and the matches, whatever the number of vectors.
"""

from __future__ import annotations

from collections.abc import Iterator

import faiss
import numpy as np

from imagededup.search.pairs import Pairs
from imagededup.search.rows import Rows, float_rows

QUERY_BLOCK = 4096
# Scores of the same image computed along two paths differ in the last float bits.
TOLERANCE = 1e-6


def blocks(count: int, size: int = QUERY_BLOCK, first: int = 0) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive blocks of at most ``size`` rows, ``first`` to ``count``."""
    for start in range(first, count, size):
        yield start, min(start + size, count)


def above(sims: np.ndarray, threshold: float, rows: np.ndarray, cols: np.ndarray) -> Pairs:
    """The cells of a similarity block that reach ``threshold``, as pairs of ``rows[i]`` and
    ``cols[j]`` with their scores clipped to [-1, 1]."""
    i, j = np.nonzero(sims >= threshold - TOLERANCE)
    return Pairs(rows[i], cols[j], np.clip(sims[i, j], -1.0, 1.0))


def flat_index(base: Rows) -> faiss.IndexFlat:
    """An exact inner-product index over ``base`` (unit rows; any sliceable, e.g. ``ViewRows``)."""
    index = faiss.IndexFlatIP(base.shape[1])
    for start, stop in blocks(len(base)):
        index.add(float_rows(base, slice(start, stop)))
    return index


def stored_vectors(index: faiss.IndexFlat) -> np.ndarray:
    """The vectors a flat index holds, as a NumPy view of its own memory (no copy)."""
    return faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(-1, index.d)


def range_blocks(index: faiss.Index, queries: Rows, threshold: float) -> Iterator[Pairs]:
    """``range_pairs``, one block of queries at a time (query numbers count from the first)."""
    for start, stop in blocks(len(queries)):
        block = float_rows(queries, slice(start, stop))
        lims, scores, ids = index.range_search(block, float(threshold) - TOLERANCE)
        rows = np.repeat(np.arange(len(lims) - 1, dtype=np.int64), np.diff(lims).astype(np.int64))
        yield Pairs(rows + start, ids.astype(np.int64), np.clip(scores, -1.0, 1.0))


def range_pairs(index: faiss.Index, queries: Rows, threshold: float) -> Pairs:
    """All ``(q, b)`` with ``queries[q] . base[b] >= threshold`` in ``index``, scores in [-1, 1].

    ``queries`` are unit rows: an array or anything sliceable into one (e.g. ``ViewRows``).
    """
    return Pairs.concat(list(range_blocks(index, queries, threshold)))


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


def folded(pairs: Pairs) -> Pairs:
    """A self-search's pairs as ``first < second`` (self-matches dropped), duplicates kept."""
    low = np.minimum(pairs.first, pairs.second)
    high = np.maximum(pairs.first, pairs.second)
    keep = low < high
    return Pairs(low[keep], high[keep], pairs.scores[keep])


def unique_pairs(pairs: Pairs) -> Pairs:
    """A self-search's pairs as ``first < second``, each once with its best score.

    An approximate search may find a pair from one side only, so both directions are folded.
    """
    return best_pairs(folded(pairs))


class PairSet:
    """Pairs of a self-search over ``count`` items, gathered block by block, kept deduplicated.

    A pair can be found several times (from both sides, by several views). Pairs are held as
    one int64 key and a score each, in ``BUCKETS`` ranges of their first item, and a bucket is
    merged (best score kept) whenever its new pairs reach ``MERGE_EVERY``: memory stays near
    the number of distinct pairs, and a merge needs room for one bucket only.
    """

    BUCKETS = 16
    MERGE_EVERY = 1 << 19

    def __init__(self, count: int) -> None:
        self.count = count
        self.buckets = [_KeyBucket() for _ in range(self.BUCKETS)]

    def add(self, pairs: Pairs) -> None:
        pairs = folded(pairs)
        keys = pairs.first * self.count + pairs.second
        which = pairs.first * self.BUCKETS // max(self.count, 1)
        for number in np.unique(which).tolist():
            mine = which == number
            bucket = self.buckets[number]
            bucket.add(keys[mine], pairs.scores[mine])
            if bucket.pending_size >= self.MERGE_EVERY:
                bucket.merge()

    def pairs(self) -> Pairs:
        """The distinct pairs, ``first < second``, each with its best score."""
        for bucket in self.buckets:
            bucket.merge()
        keys = np.concatenate([bucket.keys for bucket in self.buckets])
        scores = np.concatenate([bucket.scores for bucket in self.buckets])
        self.buckets = []
        return Pairs(keys // self.count, keys % self.count, scores)


class _KeyBucket:
    """Sorted distinct keys with their best scores, plus keys not merged in yet."""

    def __init__(self) -> None:
        self.keys = np.empty(0, np.int64)
        self.scores = np.empty(0, np.float32)
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.pending_size = 0

    def add(self, keys: np.ndarray, scores: np.ndarray) -> None:
        self.pending.append((keys, scores))
        self.pending_size += len(keys)

    def merge(self) -> None:
        if not self.pending:
            return
        keys = np.concatenate([self.keys, *(k for k, _ in self.pending)])
        scores = np.concatenate([self.scores, *(s for _, s in self.pending)])
        self.pending, self.pending_size = [], 0
        order = np.argsort(keys, kind="stable")
        keys, scores = keys[order], scores[order]
        run_start = np.empty(len(keys), bool)
        run_start[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=run_start[1:])
        starts = np.flatnonzero(run_start)
        self.keys = keys[starts]
        self.scores = np.maximum.reduceat(scores, starts) if len(starts) else scores


def similar_pairs(vectors: np.ndarray, threshold: float) -> Pairs:
    """All ``i < j`` with ``vectors[i] . vectors[j] >= threshold`` (rows must be unit length).

    Each block of rows is compared with itself and the blocks after it (the upper triangle),
    which halves the work of a self-search.
    """
    vectors = float_rows(vectors, slice(None))
    parts = []
    for start, stop in blocks(len(vectors)):
        rows = np.arange(start, stop)
        for col_start, col_stop in blocks(len(vectors), first=start):
            sims = vectors[start:stop] @ vectors[col_start:col_stop].T
            found = above(sims, threshold, rows, np.arange(col_start, col_stop))
            keep = found.first < found.second
            parts.append(found.take(keep))
    return Pairs.concat(parts)

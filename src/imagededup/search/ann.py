"""Approximate cosine search for large collections: FAISS inverted lists (IVF).

Near-duplicates sit very close together, so probing the few cells nearest to a query finds
almost all of them while scanning a small fraction of the vectors. Measured with
benchmarks/search.py (README, "Large collections").

Range queries run list by list (``ivf_range_blocks``): each inverted list is compared with every
query that probes it in one matrix product, which BLAS does several times faster than FAISS's
one-query-at-a-time scan, for the same pairs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import faiss
import numpy as np

from imagededup.search.exact import QUERY_BLOCK, above, blocks, unique_pairs
from imagededup.search.pairs import Pairs
from imagededup.search.rows import Rows, float_rows

NPROBE = 64
"""Lists scanned per query: recall 0.996 of planted pairs at 1,000,000 vectors (0.989 at 32)."""
GROUP_PER_LIST = 8
"""Queries are taken ``8 x nlist`` at a time: each list then meets about ``8 x nprobe`` of them
per matrix product, large enough for BLAS, while a group stays a small part of the memory."""
PRODUCT_CELLS = 1 << 22
EMIT_PAIRS = 1 << 18
TRAIN_PER_LIST = 40
TRAIN_ITERATIONS = 10
SEED = 1234


def ivf_index(base: Rows, nprobe: int = NPROBE) -> faiss.Index:
    """An IVF inner-product index over ``base`` (unit rows; any sliceable, e.g. ``ViewRows``).

    About ``4 * sqrt(N)`` lists, trained on a sample; rows are added a block at a time.
    """
    count, dim = base.shape
    nlist = max(1, min(int(4 * math.sqrt(count)), count // 39))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = TRAIN_ITERATIONS
    sample = min(count, TRAIN_PER_LIST * nlist)
    rows = np.sort(np.random.default_rng(SEED).choice(count, sample, replace=False))
    index.train(float_rows(base, rows))
    add_by_list(index, base)
    index.nprobe = min(nprobe, nlist)
    return index


def add_by_list(index: faiss.IndexIVF, base: Rows) -> None:
    """Add ``base`` to ``index`` list by list, so each inverted list is allocated once.

    Adding in input order grows every list many times, and the growth leaves up to half of the
    index's memory unused.
    """
    lists = np.empty(len(base), np.int64)
    for start, stop in blocks(len(base)):
        lists[start:stop] = index.quantizer.assign(float_rows(base, slice(start, stop)), 1)[:, 0]
    order = np.argsort(lists, kind="stable")
    for start, stop in blocks(len(base)):
        rows = order[start:stop]
        block = float_rows(base, rows)
        assigned = np.ascontiguousarray(lists[rows])
        index.add_core(
            len(rows), faiss.swig_ptr(block), faiss.swig_ptr(rows), faiss.swig_ptr(assigned)
        )


def list_vectors(index: faiss.IndexIVFFlat, number: int) -> tuple[np.ndarray, np.ndarray]:
    """The vectors and ids held in inverted list ``number``, as views of the index's memory."""
    invlists = index.invlists
    size = invlists.list_size(number)
    codes = faiss.rev_swig_ptr(invlists.get_codes(number), size * invlists.code_size)
    ids = faiss.rev_swig_ptr(invlists.get_ids(number), size)
    return codes.view(np.float32).reshape(size, index.d), ids


def ivf_range_blocks(index: faiss.IndexIVFFlat, queries: Rows, threshold: float) -> Iterator[Pairs]:
    """All ``(q, b)`` with ``queries[q] . base[b] >= threshold`` among the lists ``q`` probes.

    The pairs FAISS's range search finds at the same ``nprobe``. Queries go in groups (see
    ``GROUP_PER_LIST``); each list is compared with all of a group's queries that probe it in
    one matrix product. Yields parts of about ``EMIT_PAIRS`` pairs. ``queries`` are unit rows
    (an array or ``ViewRows``).
    """
    for start, stop in blocks(len(queries), max(QUERY_BLOCK, GROUP_PER_LIST * index.nlist)):
        group = float_rows(queries, slice(start, stop))
        probes = index.quantizer.assign(group, index.nprobe).ravel()
        order = np.argsort(probes, kind="stable")
        bounds = np.searchsorted(probes[order], np.arange(index.nlist + 1)).tolist()
        probing = order // index.nprobe
        del probes, order
        parts: list[Pairs] = []
        found = 0
        for number in range(index.nlist):
            rows = probing[bounds[number] : bounds[number + 1]]
            base, ids = list_vectors(index, number)
            if len(rows) == 0 or len(base) == 0:
                continue
            step = max(1, PRODUCT_CELLS // len(base))  # bounds the similarity block's memory
            for first in range(0, len(rows), step):
                chunk = rows[first : first + step]
                parts.append(above(group[chunk] @ base.T, threshold, chunk + start, ids))
                found += len(parts[-1])
            if found >= EMIT_PAIRS:
                yield Pairs.concat(parts)
                parts, found = [], 0
        yield Pairs.concat(parts)


def approximate_similar_pairs(vectors: np.ndarray, threshold: float) -> Pairs:
    """Most ``i < j`` pairs with similarity >= ``threshold``, in time well below ``N^2``."""
    if len(vectors) == 0:
        return Pairs.empty()
    index = ivf_index(vectors)
    return unique_pairs(Pairs.concat(list(ivf_range_blocks(index, vectors, threshold))))

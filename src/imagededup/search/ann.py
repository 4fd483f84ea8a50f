"""Approximate cosine search for large collections: FAISS inverted lists (IVF).

Near-duplicates sit very close together, so probing the few cells nearest to a query finds
almost all of them while scanning a small fraction of the vectors. Measured with
benchmarks/search.py (README, "Scale").
"""

from __future__ import annotations

import math

import faiss
import numpy as np

from imagededup.search.exact import blocks, range_pairs, unique_pairs
from imagededup.search.pairs import Pairs

NPROBE = 16
TRAIN_PER_LIST = 40
TRAIN_ITERATIONS = 10
SEED = 1234


def ivf_index(base: np.ndarray, nprobe: int = NPROBE) -> faiss.Index:
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
    index.train(np.ascontiguousarray(base[rows], dtype=np.float32))
    add_by_list(index, base)
    index.nprobe = min(nprobe, nlist)
    return index


def add_by_list(index: faiss.IndexIVF, base: np.ndarray) -> None:
    """Add ``base`` to ``index`` list by list, so each inverted list is allocated once.

    Adding in input order grows every list many times, and the growth leaves up to half of the
    index's memory unused.
    """
    lists = np.empty(len(base), np.int64)
    for start, stop in blocks(len(base)):
        block = np.ascontiguousarray(base[start:stop], dtype=np.float32)
        lists[start:stop] = index.quantizer.assign(block, 1)[:, 0]
    order = np.argsort(lists, kind="stable")
    for start, stop in blocks(len(base)):
        rows = order[start:stop]
        block = np.ascontiguousarray(base[rows], dtype=np.float32)
        assigned = np.ascontiguousarray(lists[rows])
        index.add_core(
            len(rows), faiss.swig_ptr(block), faiss.swig_ptr(rows), faiss.swig_ptr(assigned)
        )


def approximate_similar_pairs(vectors: np.ndarray, threshold: float) -> Pairs:
    """Most ``i < j`` pairs with similarity >= ``threshold``, in time well below ``N^2``."""
    if len(vectors) == 0:
        return Pairs.empty()
    return unique_pairs(range_pairs(ivf_index(vectors), vectors, threshold))

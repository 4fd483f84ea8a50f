"""Approximate cosine search for large collections: FAISS inverted lists (IVF).

Near-duplicates sit very close together, so probing the few cells nearest to a query finds
almost all of them while scanning a small fraction of the vectors. Measured with
benchmarks/search.py: recall 1.000 of the exact pairs at 100,000 vectors, 0.972 of the planted
pairs at 1,000,000 (more probes would raise it, at more time).
"""

from __future__ import annotations

import math

import faiss
import numpy as np

from imagededup.search.exact import range_pairs, unique_pairs
from imagededup.search.pairs import Pairs

NPROBE = 16
TRAIN_PER_LIST = 40
TRAIN_ITERATIONS = 10
SEED = 1234


def ivf_index(base: np.ndarray, nprobe: int = NPROBE) -> faiss.Index:
    """An IVF inner-product index over ``base`` with about ``4 * sqrt(N)`` lists."""
    base = np.ascontiguousarray(base, dtype=np.float32)
    count, dim = base.shape
    nlist = max(1, min(int(4 * math.sqrt(count)), count // 39))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = TRAIN_ITERATIONS
    sample = min(count, TRAIN_PER_LIST * nlist)
    rng = np.random.default_rng(SEED)
    index.train(base[rng.choice(count, sample, replace=False)] if sample < count else base)
    index.add(base)
    index.nprobe = min(nprobe, nlist)
    return index


def approximate_similar_pairs(vectors: np.ndarray, threshold: float) -> Pairs:
    """Most ``i < j`` pairs with similarity >= ``threshold``, in time well below ``N^2``."""
    if len(vectors) == 0:
        return Pairs.empty()
    return unique_pairs(range_pairs(ivf_index(vectors), vectors, threshold))

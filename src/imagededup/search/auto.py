"""Pick exact or approximate search by collection size (switch point measured, see README)."""

from __future__ import annotations

import faiss
import numpy as np

from imagededup.search.ann import approximate_similar_pairs, ivf_index
from imagededup.search.exact import flat_index, range_pairs, similar_pairs
from imagededup.search.pairs import Pairs

EXACT_MAX_VECTORS = 100_000
"""Up to this many vectors search is exact; above, IVF (benchmarks/search.py)."""


def use_approximate(count: int, approximate: bool | None) -> bool:
    """``approximate`` if the caller said, else whether ``count`` is past the switch point."""
    return count > EXACT_MAX_VECTORS if approximate is None else approximate


def self_pairs(vectors: np.ndarray, threshold: float, approximate: bool | None = None) -> Pairs:
    """Pairs ``i < j`` of ``vectors`` with similarity >= ``threshold``."""
    if use_approximate(len(vectors), approximate):
        return approximate_similar_pairs(vectors, threshold)
    return similar_pairs(vectors, threshold)


def base_index(base: np.ndarray, approximate: bool | None = None) -> faiss.Index:
    """A FAISS index over ``base`` to run queries against (flat or IVF)."""
    return ivf_index(base) if use_approximate(len(base), approximate) else flat_index(base)


def query_pairs(index: faiss.Index, queries: np.ndarray, threshold: float) -> Pairs:
    """``(query, base)`` pairs with similarity >= ``threshold``."""
    if len(queries) == 0 or index.ntotal == 0:
        return Pairs.empty()
    return range_pairs(index, queries, threshold)

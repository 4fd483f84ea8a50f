"""Pick exact or approximate search by collection size (switch point measured, see README)."""

from __future__ import annotations

from collections.abc import Iterator

import faiss

from imagededup.search.ann import ivf_index, ivf_range_blocks
from imagededup.search.exact import flat_index, range_blocks
from imagededup.search.pairs import Pairs
from imagededup.search.rows import Rows

EXACT_MAX_VECTORS = 50_000
"""Up to this many images search is exact; above, IVF (measured with benchmarks/search.py)."""


def use_approximate(count: int, approximate: bool | None) -> bool:
    """``approximate`` if the caller said, else whether ``count`` is past the switch point."""
    return count > EXACT_MAX_VECTORS if approximate is None else approximate


def base_index(base: Rows, approximate: bool | None = None) -> faiss.Index:
    """A FAISS index over ``base`` (unit rows, or ``ViewRows``) to query (flat or IVF)."""
    return ivf_index(base) if use_approximate(len(base), approximate) else flat_index(base)


def query_blocks(index: faiss.Index, queries: Rows, threshold: float) -> Iterator[Pairs]:
    """All ``(q, b)`` with similarity >= ``threshold`` (among probed lists for IVF), in parts."""
    if isinstance(index, faiss.IndexIVFFlat):
        return ivf_range_blocks(index, queries, threshold)
    return range_blocks(index, queries, threshold)

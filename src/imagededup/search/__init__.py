"""Search: vectors or hashes in, matched ``Pairs`` out (FAISS loads only with a search)."""

from typing import TYPE_CHECKING

from imagededup._lazy import lazy_exports

if TYPE_CHECKING:
    from imagededup.search.ann import approximate_similar_pairs
    from imagededup.search.exact import cross_pairs, similar_pairs
    from imagededup.search.hamming import cross_hamming_pairs, hamming_pairs
    from imagededup.search.pairs import Pairs

__all__ = [
    "Pairs",
    "approximate_similar_pairs",
    "cross_hamming_pairs",
    "cross_pairs",
    "hamming_pairs",
    "similar_pairs",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "Pairs": "imagededup.search.pairs",
        "approximate_similar_pairs": "imagededup.search.ann",
        "cross_hamming_pairs": "imagededup.search.hamming",
        "cross_pairs": "imagededup.search.exact",
        "hamming_pairs": "imagededup.search.hamming",
        "similar_pairs": "imagededup.search.exact",
    },
)

"""Search: vectors or hashes in, matched ``Pairs`` out."""

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

"""The last step of every search of a collection by the CNN, whatever found its pairs.

Graphics are searched again below the threshold (``search.graphics``: the CNN is a poor judge
of small flat drawings), and every pair that involves a graphic is decided from its pixels
(``search.verify``); one found below the threshold only adds a file that had no match, as the
best such pair of both its files. Then copies of one original that missed each other are
joined through shared neighbours (``search.neighbours``) and those new pairs are checked too.
Last, no group may hold two graphics that are mirror images of each other, even through a third.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from imagededup.search.drawing import Drawings
from imagededup.search.exact import unique_pairs
from imagededup.search.graphics import SearchVectors, graphic_candidates, one_link_below
from imagededup.search.neighbours import shared_neighbour_pairs
from imagededup.search.pairs import Pairs
from imagededup.search.verify import verified, without_mirror_chains


def refined(
    pairs: Pairs,
    paths: Sequence[str | os.PathLike[str] | None],
    threshold: float,
    searched: SearchVectors | None = None,
) -> Pairs:
    """``pairs`` found at ``threshold`` among the files ``paths`` (None: unknown, never
    checked), with the graphics' own candidates when the ``searched`` vectors are at hand,
    checked, joined through shared neighbours and kept from chaining mirror images. Each file
    is read at most once."""
    read = Drawings(paths)
    if searched is not None:
        candidates = graphic_candidates(searched, threshold, read)
        pairs = unique_pairs(Pairs.concat([pairs, candidates]))
    checked = one_link_below(verified(pairs, read, threshold), threshold)
    joined = verified(shared_neighbour_pairs(checked, len(paths)), read, threshold)
    return without_mirror_chains(Pairs.concat([checked, joined]), read)

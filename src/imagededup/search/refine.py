"""The last step of every search of a collection by the CNN, whatever found its pairs.

Pairs of graphics are checked pixel by pixel (``search.verify``), then copies of one original
that missed each other are joined through shared neighbours (``search.neighbours``) and those
new pairs are checked too. Last, no group may hold two graphics that are mirror images of each
other, even joined through a third drawing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from imagededup.search.neighbours import shared_neighbour_pairs
from imagededup.search.pairs import Pairs
from imagededup.search.verify import Drawings, verified, without_mirror_chains


def refined(pairs: Pairs, paths: Sequence[str | os.PathLike[str] | None]) -> Pairs:
    """``pairs`` among the files ``paths`` (None: unknown, never checked), checked, joined
    through shared neighbours and kept from chaining mirror images. Each file in a pair is
    read at most once."""
    read = Drawings(paths)
    checked = verified(pairs, read)
    joined = verified(shared_neighbour_pairs(checked, len(paths)), read)
    return without_mirror_chains(Pairs.concat([checked, joined]), read)

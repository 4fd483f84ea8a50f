"""The last step of every search of a collection by the CNN, whatever found its pairs.

Graphics are searched again below the threshold (``search.graphics``: the CNN is a poor judge of
small flat drawings), and every pair that involves a graphic is decided from its pixels
(``search.verify``); one found below the threshold, or narrowly rejected, is kept only as the
clear best match of both its files at the other's size (``graphics.clear_best``). Pairs of
photos just over the threshold whose local features agree on no transform are dropped; pairs
just under it, and pairs of photos that share a neighbour whatever their score, are kept when
their features agree on one (``search.geometry``); a pair just under it where one photo is too
smooth for keypoints also when a window of the other shows it (``search.windows``). Then copies
of one original that missed each other are joined through shared neighbours
(``search.neighbours``) and those new pairs are checked too. Last, groups are formed surest pair
first: two groups join only when at least half the pairs across them are matches (one false
match does not join two groups of copies), and no group may hold two graphics that no pair links
(directly, or through a sure copy of one in another format: ``graphics.sure_copies``) or that
are mirror images of each other.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from imagededup.search.drawing import Drawings
from imagededup.search.exact import unique_pairs
from imagededup.search.geometry import (
    Scenes,
    confirmed,
    neighbour_candidates,
    refuted,
    rescued,
    rescues,
    searched_down,
)
from imagededup.search.graphics import (
    SearchVectors,
    clear_best,
    graphic_candidates,
    sure_copies,
)
from imagededup.search.neighbours import shared_neighbour_pairs
from imagededup.search.pairs import Pairs
from imagededup.search.verify import verified, without_chains
from imagededup.search.windows import Windows


def refined(
    pairs: Pairs,
    paths: Sequence[str | os.PathLike[str] | None],
    threshold: float,
    searched: SearchVectors | None = None,
    read: Drawings | None = None,
    below: Pairs | None = None,
    windows: Windows | None = None,
) -> Pairs:
    """``pairs`` found at ``threshold`` among the files ``paths`` (None: unknown, never
    checked), with the graphics' own candidates and the photos' candidates under the threshold
    when the ``searched`` vectors are at hand, checked, joined through shared neighbours and
    kept from chaining images into groups they do not match. A search that keeps the vectors
    elsewhere (Ray) gives the pairs it found down to ``geometry.candidate_floor`` as ``below``
    instead, when ``geometry.rescues`` allows. Each file is read at most once for its pixel
    checks (``Drawings``, at most 64 px; ``read``: those of ``paths`` read already) and, if a
    photo in a pair near the threshold, once for its keypoints (``Scenes``, 384 px). With the
    model's ``windows``, a photo under the threshold too smooth for keypoints is also looked
    for inside the other file of its pair (``search.windows``)."""
    read = Drawings(paths) if read is None else read
    if searched is not None:
        candidates = graphic_candidates(searched, threshold, read)
        pairs = unique_pairs(Pairs.concat([pairs, candidates]))
    checked, sure = verified(pairs, read, threshold, floor=-np.inf)
    keep = clear_best(checked, sure, read, threshold)
    checked, sure = checked.take(keep), sure[keep]
    scenes = Scenes(paths)
    keep = ~refuted(checked, sure, scenes, threshold)
    checked, sure = checked.take(keep), sure[keep]
    if searched is not None and rescues(searched.calibrated, threshold):
        below = searched_down(searched, threshold)
    if below is not None:
        candidates = rescued(below, threshold, read, scenes, windows)
        checked, sure = _with_verified(checked, sure, candidates, read, threshold)
        hops = neighbour_candidates(checked, len(paths), read)
        hops = hops.take(confirmed(hops, scenes))
        checked, sure = _with_verified(checked, sure, hops, read, threshold)
    joined = shared_neighbour_pairs(checked, len(paths))
    checked, sure = _with_verified(checked, sure, joined, read, threshold)
    return without_chains(checked, read, sure, sure_copies(checked, sure, read, threshold))


def _with_verified(
    checked: Pairs, sure: np.ndarray, found: Pairs, read: Drawings, threshold: float
) -> tuple[Pairs, np.ndarray]:
    """``checked`` pairs and their ``sure`` scores, with those of ``found`` that ``verified``
    keeps."""
    kept, kept_sure = verified(found, read, threshold)
    return Pairs.concat([checked, kept]), np.concatenate([sure, kept_sure])

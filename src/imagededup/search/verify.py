"""Pixel checks of the CNN's matches: graphics (icons, emoji, drawings) and recoloured images.

The CNN is right to match a photo with its mirror image, brighter or grey copy or crop, and
wrong to match an arrow with its mirror image, an emoji with its other skin tones, or two icons
of one theme that share a shape: upsampled to the model's input, small flat drawings all look
alike. A pair where either file is a graphic (``search.drawing``) is kept only when the
classifier of ``search.graphics`` calls it one asset, and no group may hold two graphics that
no such pair links or that are mirror images (or turns) of each other, even joined through a
third drawing (``without_chains``). Any other pair is dropped when both images are colourful
and share no hue (``recoloured``): a wallpaper's cold and warm versions are two assets, which
the CNN, blind to colour, matches.
Measured on benchmarks/sets/graphics.py's and wallpapers.py's reporting halves (README).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from imagededup.search.drawing import Drawing, Drawings, Hues, turn_differences
from imagededup.search.graphics import one_asset_odds
from imagededup.search.pairs import Pairs

MIRRORED = 0.5
"""A drawing is another's mirror image (or turn) when that way it differs this much less."""
COLOURFUL = 20.0
"""Mean chroma (0-255) from which an image's hues are compared (a grey copy has none)."""
PRESENT = 0.02
"""Share of an image's chroma from which a hue (give or take a bin) counts as present in it."""
SHARED = 0.5
"""Two colourful images are recoloured versions when neither has this share of its chroma in
hues present in the other. A crop keeps the original's hues, brightness scales none."""


def mirror_images(a: Drawing, b: Drawing) -> bool:
    """Whether ``b`` is clearly ``a`` mirrored or turned: less than ``MIRRORED`` times as
    different that way as it is as it is (a nearly symmetric drawing is not)."""
    as_is, best_turn = differences(a, b)
    return best_turn < MIRRORED * as_is


def differences(a: Drawing, b: Drawing) -> tuple[float, float]:
    """Mean thumbnail difference of ``a`` and ``b`` as they are, and with ``b`` mirrored or
    turned whichever way makes it least."""
    as_is, best_turn = turn_differences(a.thumbnail[None], b.thumbnail[None])
    return float(as_is[0]), float(best_turn[0])


def recoloured(a: Hues, b: Hues) -> bool:
    """Whether ``a`` and ``b`` are both colourful and less than ``SHARED`` of either one's
    chroma lies in hues present in the other (hues within a bin of each other match)."""
    if min(a.chroma, b.chroma) < COLOURFUL:
        return False

    def share(x: np.ndarray, y: np.ndarray) -> float:
        near = y + np.roll(y, 1) + np.roll(y, -1)  # hue is circular
        return float(x[near >= PRESENT].sum())

    return max(share(a.weights, b.weights), share(b.weights, a.weights)) < SHARED


def verified(
    pairs: Pairs, read: Drawings | Sequence[str | os.PathLike[str] | None], threshold: float
) -> tuple[Pairs, np.ndarray]:
    """``pairs`` (found at ``threshold``) without the matches of a graphic that the classifier
    of ``search.graphics`` rejects and without recoloured versions of an image, and how sure
    each pair kept is: the classifier's log-odds over its cut for a graphic's, infinity for
    any other (the order ``without_chains`` takes them in).

    ``read`` holds the images' files (see ``Drawings``), or is the list of them. Only files
    in a pair are read, each once; a pair with a file that cannot be read is kept.
    """
    if not isinstance(read, Drawings):
        read = Drawings(read)
    checked, photos = [], []
    for k, (i, j) in enumerate(zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)):
        if read.may_be_graphic(i) or read.may_be_graphic(j):
            a, b = read(i), read(j)
            if a is not None and b is not None and (a.graphic or b.graphic):
                checked.append(k)
                continue
        photos.append(k)
    keep = np.ones(len(pairs), bool)
    sure = np.full(len(pairs), np.inf)
    read.read_hues(np.concatenate([pairs.first[photos], pairs.second[photos]]).tolist())
    for k in photos:
        i, j = int(pairs.first[k]), int(pairs.second[k])
        hues_i, hues_j = read.hues(i), read.hues(j)
        if hues_i is not None and hues_j is not None and recoloured(hues_i, hues_j):
            keep[k] = False
    rows = np.array(checked, np.int64)
    sure[rows] = one_asset_odds(pairs.take(rows), read, threshold)
    keep[rows] = sure[rows] >= 0
    return pairs.take(keep), sure[keep]


def without_chains(pairs: Pairs, read: Drawings, sure: np.ndarray) -> Pairs:
    """``pairs`` less those that would put two graphics in one group that are mirror images (or
    turns) of each other or that no pair in ``pairs`` links directly: each pair may pass the
    classifier while a chain of them joins an arrow with its mirror image, or two icons of one
    theme, through a third drawing. Pairs are taken surest first (``sure``, as ``verified``
    gives it; then by score) and one is dropped when the groups it joins hold two such
    graphics (complete linkage among graphics; photos, which copies join through their shared
    original, chain freely). ``read`` as for ``verified``."""
    parent: dict[int, int] = {}
    graphics: dict[int, list[tuple[int, Drawing]]] = {}
    apart: dict[int, set[int]] = {}  # groups already found never to join (they only grow)

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])  # path halving
            i = parent[i]
        return i

    def graphics_of(i: int) -> list[tuple[int, Drawing]]:
        if i not in graphics:
            found = read.graphic(i)
            graphics[i] = [] if found is None else [(i, found)]
        return graphics[i]

    def joinable(left: list[tuple[int, Drawing]], right: list[tuple[int, Drawing]]) -> bool:
        return all(
            (min(i, j), max(i, j)) in linked and not mirror_images(x, y)
            for i, x in left
            for j, y in right
        )

    members = np.unique(np.concatenate([pairs.first, pairs.second])).tolist()
    if sum(bool(graphics_of(i)) for i in members) < 2:
        return pairs  # no two graphics to keep apart (photos only: the common case)
    low, high = np.minimum(pairs.first, pairs.second), np.maximum(pairs.first, pairs.second)
    linked = set(zip(low.tolist(), high.tolist(), strict=True))
    keep = np.ones(len(pairs), bool)
    for k in np.lexsort((-pairs.scores, -sure)).tolist():
        a, b = root(int(pairs.first[k])), root(int(pairs.second[k]))
        if a == b:
            continue
        if b in apart.get(a, ()) or not joinable(graphics_of(a), graphics_of(b)):
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
            keep[k] = False
            continue
        parent[b] = a
        graphics[a] = graphics_of(a) + graphics_of(b)
        for c in {root(c) for c in apart.pop(b, set())}:  # c may have joined a group since
            apart.setdefault(c, set()).add(a)
            apart.setdefault(a, set()).add(c)
    return pairs.take(keep)

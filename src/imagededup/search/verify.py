"""Pixel checks of the CNN's matches: graphics (icons, emoji, drawings) and recoloured images.

The CNN is right to match a photo with its mirror image, brighter or grey copy or crop, and
wrong to match an arrow with its mirror image, an emoji with its other skin tones, or two icons
of one theme that share a shape: upsampled to the model's input, small flat drawings all look
alike. A pair where either file is a graphic (``search.drawing``) is kept only when the
classifier of ``search.graphics`` calls it one asset (so is a pair of two copies of graphics
too large to be graphics, such as emoji saved as JPEG on white, which the CNN would match as
photos, skin tones and all: ``Drawings.note_copies``), and no group may hold two graphics that
no such pair links or that are mirror images (or turns) of each other, even joined through a
third drawing; and no group joins another with which it shares few matches (``without_chains``).
Any other pair is dropped when both images are colourful and share no hue (``recoloured``): a
wallpaper's cold and warm versions are two assets, which the CNN, blind to colour, matches; and
when either is plain (one colour) and the other does not show that colour (``another_colour``).
Measured on benchmarks/sets/graphics.py's and wallpapers.py's reporting halves (README).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import cast

import numpy as np

from imagededup.groups import connected_groups
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
SAME_COLOUR = 12
"""Most difference (any channel) of a copy's colour from a plain image's (``drawing.PLAIN``):
JPEG and resizing move a flat colour by a few levels."""
COVERED = 0.1
"""Least share of an image's pixels in a plain image's colour (within ``SAME_COLOUR``) for it
to be a copy of it, or the plain image a crop of it: a screenshot shows a plain desktop over
far more, an image of other colours nowhere."""
LINKED = 0.5
"""Least share of the pairs across two groups that must be matches for a pair to join them:
the lowest tried (0.1, 0.2, 0.3, 1/3, 0.5) that keeps the pairs within groups at precision
0.995 on every tuning set (at 1/3, imagededup's protocol is at 0.993)."""


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


def another_colour(read: Drawings, i: int, j: int, hues_i: Hues, hues_j: Hues) -> bool:
    """Whether image ``i`` or ``j`` (whose ``Hues`` are given) is plain and the other does not
    show its colour over ``COVERED`` of its pixels: the CNN cannot tell plain images apart, so
    their colours decide. Never when the other cannot be read."""
    a, b = hues_i.plain, hues_j.plain
    if a is not None and b is not None:
        return float(np.abs(a - b).max()) > SAME_COLOUR
    if a is None and b is None:
        return False
    colour, other = (a, j) if a is not None else (cast(np.ndarray, b), i)
    share = read.share_near(other, colour, SAME_COLOUR)
    return share is not None and share < COVERED


def verified(
    pairs: Pairs,
    read: Drawings | Sequence[str | os.PathLike[str] | None],
    threshold: float,
    floor: float = 0.0,
) -> tuple[Pairs, np.ndarray]:
    """``pairs`` (found at ``threshold``) without the matches of a graphic whose log-odds over
    the cut of the classifier of ``search.graphics`` are under ``floor`` (the classifier's
    word at 0; minus infinity keeps them all, for ``graphics.clear_best`` to decide) and
    without recoloured versions of an image, and how sure each pair kept is: those log-odds
    for a graphic's (or two copies of graphics'), infinity for any other (the order
    ``without_chains`` takes them in).

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
    read.note_copies(
        zip(pairs.first[checked].tolist(), pairs.second[checked].tolist(), strict=True)
    )
    ends = zip(pairs.first[photos].tolist(), pairs.second[photos].tolist(), strict=True)
    copies = {k for k, (i, j) in zip(photos, ends, strict=True) if read.copies_of_graphics(i, j)}
    checked += sorted(copies)
    photos = [k for k in photos if k not in copies]
    keep = np.ones(len(pairs), bool)
    sure = np.full(len(pairs), np.inf)
    read.read_hues(np.concatenate([pairs.first[photos], pairs.second[photos]]).tolist())
    for k in photos:
        i, j = int(pairs.first[k]), int(pairs.second[k])
        hues_i, hues_j = read.hues(i), read.hues(j)
        if hues_i is not None and hues_j is not None:
            keep[k] = not (recoloured(hues_i, hues_j) or another_colour(read, i, j, hues_i, hues_j))
    rows = np.array(checked, np.int64)
    sure[rows] = one_asset_odds(pairs.take(rows), read, threshold)
    keep[rows] = sure[rows] >= floor
    return pairs.take(keep), sure[keep]


def without_chains(
    pairs: Pairs, read: Drawings, sure: np.ndarray, copies: np.ndarray | None = None
) -> Pairs:
    """``pairs`` less those that would chain images into a group they do not match. Pairs are
    taken surest first (``sure``, as ``verified`` gives it; then by score) and one is dropped
    when fewer than ``LINKED`` of the pairs across the two groups it joins are in ``pairs``
    (one false match would join two groups of copies), or when the groups hold two graphics
    that no pair links or that are mirror images (or turns) of each other (each pair of
    graphics may pass the classifier while a chain joins an arrow with its mirror image, or two
    icons of one theme, through a third drawing). A pair with one of the ``copies`` (a mask of
    ``pairs``: ``graphics.sure_copies``) links each of its copies too: an icon's other size is
    found with its PNG but not always with its lossy WebP or JPEG. ``read`` as for
    ``verified``."""
    low = np.minimum(pairs.first, pairs.second).astype(np.int64)
    high = np.maximum(pairs.first, pairs.second).astype(np.int64)
    count = int(high.max()) + 1 if len(pairs) else 0
    codes = np.unique((low * count + high)[low != high])  # each pair once, sorted
    parent: dict[int, int] = {}
    size: dict[int, int] = {}
    across: dict[int, dict[int, int]] = {}  # group -> {group: pairs between them}
    for i, j in zip((codes // count).tolist(), (codes % count).tolist(), strict=True):
        across.setdefault(i, {})[j] = 1
        across.setdefault(j, {})[i] = 1
    graphics: dict[int, list[tuple[int, Drawing]]] = {}
    apart: dict[int, set[int]] = {}  # groups with graphics never to join (they only grow)

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

    copy_of: dict[int, int] = {}  # file -> the first file of its group of copies
    if copies is not None and copies.any():
        for group in connected_groups(count, pairs.take(copies)):
            copy_of.update(dict.fromkeys(group, group[0]))

    def copies_paired(i: int, j: int) -> tuple[int, int]:
        first, second = copy_of.get(i, i), copy_of.get(j, j)
        return (first, second) if first <= second else (second, first)

    linked = {copies_paired(i, j) for i, j in zip(low.tolist(), high.tolist(), strict=True)}

    def paired(i: int, j: int) -> bool:
        return copies_paired(i, j) in linked

    def joinable(left: list[tuple[int, Drawing]], right: list[tuple[int, Drawing]]) -> bool:
        return all(paired(i, j) and not mirror_images(x, y) for i, x in left for j, y in right)

    def join(a: int, b: int) -> None:
        """Group ``b`` into group ``a``, their counts of pairs to other groups summed."""
        parent[b] = a
        size[a] = size.get(a, 1) + size.pop(b, 1)
        graphics[a] = graphics_of(a) + graphics_of(b)
        del across[a][b]
        for c, n in across.pop(b).items():
            if c != a:
                across[a][c] = across[a].get(c, 0) + n
                del across[c][b]
                across[c][a] = across[c].get(a, 0) + n
        for c in {root(c) for c in apart.pop(b, set())}:  # c may have joined a group since
            apart.setdefault(c, set()).add(a)
            apart.setdefault(a, set()).add(c)

    keep = np.ones(len(pairs), bool)
    first, second = pairs.first.tolist(), pairs.second.tolist()
    for k in np.lexsort((-pairs.scores, -sure)).tolist():
        a, b = root(first[k]), root(second[k])
        if a == b:
            continue
        left, right = graphics_of(a), graphics_of(b)
        if left and right and (b in apart.get(a, ()) or not joinable(left, right)):
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
            keep[k] = False
        elif across[a].get(b, 0) < LINKED * size.get(a, 1) * size.get(b, 1):
            keep[k] = False
        else:
            join(*((a, b) if size.get(a, 1) >= size.get(b, 1) else (b, a)))
    return pairs.take(keep)

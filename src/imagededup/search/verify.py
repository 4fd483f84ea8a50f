"""Pixel checks of the CNN's matches between graphics (icons, emoji, drawings with transparency).

The CNN is right to match a photo with its mirror image, recolouring or crop, and wrong to
match an arrow with its mirror image, an emoji with its other skin tones, or two icons of one
theme that share a shape: upsampled to the model's input, small flat drawings all look alike.
A pair where either file is a graphic (transparent pixels, or at most ``TINY`` px) is kept only
if, besides the CNN score, the two drawings agree pixel by pixel at the same orientation:
their colour histograms overlap by at least ``MIN_COLOURS`` (skin tones, coloured variants and
another theme's palette fail) and their ``GRID x GRID`` thumbnails, each cut to its visible
content, differ by at most ``MAX_DIFF`` in every cell and by less than with either one mirrored
or turned (mirror images, rotated arrows, other shapes fail).
Measured on benchmarks/sets/graphics.py's tuning half (README, "Accuracy").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from imagededup.images.decode import DecodeError, open_image, open_lazily
from imagededup.search.pairs import Pairs

TINY = 48
"""Files no larger than this (longest side, px) are graphics even without transparency."""
MIN_COLOURS = 0.85
"""Least overlap of two graphics' colour histograms (4 levels a channel, visible pixels)."""
MAX_DIFF = 120
"""Largest difference (0-255, any channel) of two graphics' thumbnails in one cell."""
MIRRORED = 0.5
"""A drawing is another's mirror image (or turn) when that way it differs this much less."""
GRID = 8
LEVELS = 4
SAMPLE = 64
"""Graphics are read at most this size (px) for the checks."""


@dataclass(frozen=True)
class Drawing:
    """What the checks need of a file: whether it is a graphic, its colours and thumbnail."""

    graphic: bool
    colours: np.ndarray
    thumbnail: np.ndarray


def drawing(path: str | os.PathLike[str]) -> Drawing | None:
    """The file's ``Drawing``, or None when it cannot be read (then no check is made)."""
    try:
        with open_image(path, SAMPLE) as image:
            size = max(image.size)
            rgba = image.convert("RGBA")
    except (DecodeError, OSError, ValueError, SyntaxError):
        return None
    if max(rgba.size) > SAMPLE:
        rgba.thumbnail((SAMPLE, SAMPLE), Image.Resampling.BOX)
    alpha = rgba.getchannel("A")
    graphic = size <= TINY or int(np.asarray(alpha).min()) < 255
    content = rgba.crop(alpha.getbbox() or (0, 0, *rgba.size)) if graphic else rgba
    pixels = np.asarray(content).reshape(-1, 4)
    visible = pixels[pixels[:, 3] > 127, :3] // (256 // LEVELS)
    codes = (visible[:, 0] * LEVELS + visible[:, 1]) * LEVELS + visible[:, 2]
    colours = np.bincount(codes, minlength=LEVELS**3).astype(np.float32)
    on_white = Image.new("RGBA", content.size, (255, 255, 255, 255))
    on_white.alpha_composite(content)
    grid = on_white.convert("RGB").resize((GRID, GRID), Image.Resampling.BOX)
    return Drawing(graphic, colours / max(float(colours.sum()), 1.0), np.asarray(grid, np.int16))


def same_drawing(a: Drawing, b: Drawing) -> bool:
    """Whether two graphics have the same colours and, cell by cell, the same shape, and are
    closer as they are than with either one mirrored or turned (an arrow and its mirror image
    have the same colours and may differ little cell by cell)."""
    overlap = float(np.minimum(a.colours, b.colours).sum())
    if overlap < MIN_COLOURS or int(np.abs(a.thumbnail - b.thumbnail).max()) > MAX_DIFF:
        return False
    as_is, best_turn = differences(a, b)
    return as_is <= best_turn


def mirror_images(a: Drawing, b: Drawing) -> bool:
    """Whether ``b`` is clearly ``a`` mirrored or turned: less than ``MIRRORED`` times as
    different that way as it is as it is (a nearly symmetric drawing is not)."""
    as_is, best_turn = differences(a, b)
    return best_turn < MIRRORED * as_is


def differences(a: Drawing, b: Drawing) -> tuple[float, float]:
    """Mean thumbnail difference of ``a`` and ``b`` as they are, and with ``b`` mirrored or
    turned whichever way makes it least."""
    as_is = float(np.abs(a.thumbnail - b.thumbnail).mean())
    return as_is, min(float(np.abs(a.thumbnail - other).mean()) for other in turned(b.thumbnail))


def turned(grid: np.ndarray) -> list[np.ndarray]:
    """The thumbnail mirrored, flipped, and turned by 90, 180 and 270 degrees."""
    return [grid[:, ::-1], grid[::-1], np.rot90(grid, 1), np.rot90(grid, 2), np.rot90(grid, 3)]


OPAQUE_MODES = frozenset({"1", "L", "RGB", "CMYK", "YCbCr", "I", "I;16", "F"})
"""Modes without an alpha channel: such a file is a graphic only if small or transparent."""


class Drawings:
    """The ``Drawing`` of each image ``i`` of a search, from ``paths[i]`` (None: no file), read
    on first use; a file whose header shows it cannot be a graphic (larger than ``TINY``, no
    alpha channel, no transparent colour) is never decoded unless a graphic's pair needs it."""

    def __init__(self, paths: Sequence[str | os.PathLike[str] | None]) -> None:
        self.paths = paths
        self.read: dict[int, Drawing | None] = {}
        self.possible: dict[int, bool] = {}

    def __call__(self, i: int) -> Drawing | None:
        """Image ``i``'s drawing (None: no file, or it cannot be read: then no check)."""
        if i not in self.read:
            path = self.paths[i]
            self.read[i] = None if path is None else drawing(path)
        return self.read[i]

    def may_be_graphic(self, i: int) -> bool:
        """False only when the file's header rules out a graphic (then ``graphic`` is False)."""
        if i not in self.possible:
            self.possible[i] = self._header_allows_graphic(i)
        return self.possible[i]

    def graphic(self, i: int) -> Drawing | None:
        """Image ``i``'s drawing if it is a graphic, else None."""
        found = self(i) if self.may_be_graphic(i) else None
        return found if found is not None and found.graphic else None

    def _header_allows_graphic(self, i: int) -> bool:
        path = self.paths[i]
        if path is None:
            return False
        try:
            with open_lazily(Path(path)) as image:
                opaque = image.mode in OPAQUE_MODES and "transparency" not in image.info
                return not opaque or max(image.size) <= TINY
        except DecodeError:
            return True  # let drawing() decide (and give up) as before


def verified(pairs: Pairs, read: Drawings | Sequence[str | os.PathLike[str] | None]) -> Pairs:
    """``pairs`` without the matches of a graphic that fail ``same_drawing``.

    ``read`` holds the images' files (see ``Drawings``), or is the list of them. Only files
    in a pair are read, each once, and a photo only when it is paired with a graphic.
    """
    if not isinstance(read, Drawings):
        read = Drawings(read)
    keep = np.ones(len(pairs), bool)
    for k, (i, j) in enumerate(zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)):
        if not (read.may_be_graphic(i) or read.may_be_graphic(j)):
            continue
        a, b = read(i), read(j)
        if a is not None and b is not None and (a.graphic or b.graphic):
            keep[k] = same_drawing(a, b)
    return Pairs(pairs.first[keep], pairs.second[keep], pairs.scores[keep])


def without_mirror_chains(pairs: Pairs, read: Drawings) -> Pairs:
    """``pairs`` less those that would put two graphics that are mirror images (or turns) of
    each other in one group: each pair may pass ``same_drawing`` while a chain of them joins an
    arrow with its mirror image through a third drawing. Pairs are taken best first and one is
    dropped when the groups it joins hold such graphics (``read`` as for ``verified``)."""
    parent: dict[int, int] = {}
    graphics: dict[int, list[Drawing]] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])  # path halving
            i = parent[i]
        return i

    def drawings_of(i: int) -> list[Drawing]:
        if i not in graphics:
            found = read.graphic(i)
            graphics[i] = [] if found is None else [found]
        return graphics[i]

    members = np.unique(np.concatenate([pairs.first, pairs.second])).tolist()
    if sum(bool(drawings_of(i)) for i in members) < 2:
        return pairs  # no two graphics to keep apart (photos only: the common case)
    keep = np.ones(len(pairs), bool)
    for k in np.argsort(-pairs.scores, kind="stable").tolist():
        a, b = root(int(pairs.first[k])), root(int(pairs.second[k]))
        if a == b:
            continue
        left, right = drawings_of(a), drawings_of(b)
        if any(mirror_images(x, y) for x in left for y in right):
            keep[k] = False
            continue
        parent[b] = a
        graphics[a] = left + right
    return Pairs(pairs.first[keep], pairs.second[keep], pairs.scores[keep])

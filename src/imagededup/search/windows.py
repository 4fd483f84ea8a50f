"""Whether a smooth photo is shown inside another: the model's view of windows of the other.

A wallpaper under the windows of a screenshot, or small inside an image viewer's window,
scores well under the threshold with the screenshot as a whole, and keypoints cannot confirm
the pair: the wallpaper is too smooth for corners, while the screenshot's text has plenty that
match nothing. Embedded on its own, the part of the screenshot that shows the wallpaper
scores high with it. So a pair of photos under the threshold that its keypoints did not
confirm, where one file is smooth (``geometry.Scenes.smooth``) and the other is not, is kept
when one of ``WINDOWS`` of the other scores at least ``SHOWN`` with the smooth one's own view.
Only such pairs are looked into, since each file looked into costs ``len(WINDOWS)`` more
encodings: on the dev set, 7% of its files. Chosen on the tuning halves of
benchmarks/sets/wallpapers.py and photos.py and the dev set, whole and as random subsets
(README, "Windows").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from imagededup.images.decode import DecodeError
from imagededup.images.views import Window
from imagededup.search.pairs import Pairs
from imagededup.vectors import normalize

KEEPS = (0.5, 0.65)
"""Shares of each side of the larger file's windows."""
PLACES = tuple((x, y) for y in (0.0, 0.5, 1.0) for x in (0.0, 0.5, 1.0))
"""Where the windows of each share lie: a 3 x 3 grid from the top left to the bottom right."""
WINDOWS: tuple[Window, ...] = tuple((keep, place) for keep in KEEPS for place in PLACES)
SHOWN = 0.7
"""Least cosine of a window of one file with the other's own view for it to show the other."""

Embed = Callable[[str | os.PathLike[str], Sequence[Window]], np.ndarray]
"""Unit vectors of windows of a file, one row each (``OnnxEncoder.windows``)."""


class Windows:
    """The files of a search (``paths[i]``, None: no file), each one's ``own`` view (a unit
    vector, None: unknown) and the model's ``embed`` of windows, read on first use and kept."""

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str] | None],
        embed: Embed,
        own: Callable[[int], np.ndarray | None],
    ) -> None:
        self.paths = paths
        self.embed = embed
        self.own = own
        self.read: dict[int, np.ndarray | None] = {}

    def shown(self, pairs: Pairs, smooth: Callable[[int], bool]) -> np.ndarray:
        """Which of ``pairs`` (indices into ``paths``) have one file ``smooth`` and the other
        not, and a window of the other showing the smooth one (``SHOWN``)."""
        out = np.zeros(len(pairs), bool)
        for k, (i, j) in enumerate(zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)):
            if smooth(i) == smooth(j):
                continue
            outer, inner = (j, i) if smooth(i) else (i, j)
            windows = self._windows(outer)
            if windows is None:
                continue
            own = self.own(inner)
            out[k] = own is not None and (windows @ own).max() >= SHOWN
        return out

    def _windows(self, i: int) -> np.ndarray | None:
        if i not in self.read:
            path = self.paths[i]
            try:
                self.read[i] = None if path is None else self.embed(path, WINDOWS)
            except (DecodeError, OSError):
                self.read[i] = None
        return self.read[i]


def own_views(vectors: np.ndarray, view_count: int) -> Callable[[int], np.ndarray]:
    """Each row's own view of ``vectors`` (the first of its ``view_count``), as a unit vector."""
    dim = vectors.shape[1] // view_count
    return lambda i: normalize(vectors[i : i + 1, :dim])[0]

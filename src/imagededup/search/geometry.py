"""Whether two photos show one scene: local features that agree on one geometric transform.

The CNN's score of a strong crop, a rotation between its views or a compound edit often falls
just under the threshold, and two look-alikes (star fields, rotated textures) often score just
over it. Evidence the score lacks separates them: a copy's ORB keypoints (corners, blind to
rotation and brightness) match the original's at places that one affine transform maps onto
each other, while two look-alikes match by chance, scattered. Matches are kept by Lowe's ratio
test and fitted by RANSAC to an affine transform that an edit could make (no reflection, the
axes within ``ANISOTROPY``, the scale within ``SCALES``), the second file also tried mirrored.
Pairs of photos up to ``MARGIN`` under the threshold, each file's ``CANDIDATES`` best, are
kept when at least ``INLIERS`` matches fit (``confirmed``), down to ``DEEP`` under it when
``DEEP_INLIERS`` do, and so are pairs of photos whose files share a neighbour, whatever their
score (``neighbour_candidates``); pairs less than ``CHECKED`` over it are dropped when fewer
than ``REFUTED`` do (``refuted``). A smooth photo is read again at a fainter corner threshold,
whose corners confirm but never refute; a file without enough keypoints (a flat drawing) is no
evidence either way. Chosen on the tuning halves of benchmarks/sets/photos.py and of
protocol.py --wide, the dev set and imagededup's protocol, whole and as random subsets (README,
"Local features").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from imagededup.images.decode import DecodeError, open_image, to_rgb
from imagededup.images.loader import default_workers
from imagededup.search.copies import duplicate_pairs
from imagededup.search.drawing import Drawings
from imagededup.search.graphics import SearchVectors
from imagededup.search.neighbours import shared_neighbour_pairs
from imagededup.search.pairs import Pairs, runs
from imagededup.search.windows import Windows

MARGIN = 0.2
"""Pairs of photos are candidates down to this far below the search's threshold."""
CANDIDATES = 5
"""Candidates of each file, best score first: a pair is checked when it is among either's."""
DEEP = 0.35
"""Pairs of photos further under the threshold, down to this far, are candidates too, and
need ``DEEP_INLIERS`` matches."""
DEEP_INLIERS = 16
"""Least matches that must fit one transform for a pair more than ``MARGIN`` under the
threshold to be kept."""
SIDE = 384
"""Longest side (px) each photo is scaled to, up or down, before its keypoints are found."""
FEATURES = 500
"""Most ORB keypoints of each photo."""
CORNERS = 20
"""ORB's corner (FAST) threshold: least contrast around a keypoint (OpenCV's default)."""
FEW = 100
"""A photo with fewer keypoints than this (a smooth drawing, a small crop scaled up) is read
again at ``FAINT``."""
FAINT = 8
"""The corner threshold of photos with ``FEW`` keypoints. Faint corners can confirm a match
but not refute one: on gradients they move between copies."""
RATIO = 0.8
"""Lowe's ratio test: a match is kept when its nearest descriptor is this much nearer than the
second nearest."""
TOLERANCE = 0.01
"""Most distance (share of ``SIDE``) of a match from where the transform maps it, to fit it."""
INLIERS = 12
"""Least matches that must fit one transform for two photos under the threshold to be kept."""
CHECKED = 0.12
"""Pairs of photos scoring less than this over the threshold are kept only when their
keypoints do not refute them: at least ``REFUTED`` matches fit one transform."""
REFUTED = 6
"""Fewer matches fitting one transform refute a pair (when both files have keypoints)."""
ANISOTROPY = 0.4
"""Least ratio of the transform's shorter to longer axis (an aspect change squashes one axis;
a degenerate fit collapses both onto a line)."""
SCALES = (0.1, 10.0)
"""Range of the transform's scale (geometric mean of its axes), ``SIDE`` to ``SIDE``."""
_TRIALS = 2000


@dataclass(frozen=True)
class Keypoints:
    """A photo's ORB keypoints at ``SIDE`` px (``N x 2`` positions, ``N x 32`` descriptors), as
    it is and mirrored left to right: ORB is blind to rotation, not to reflection."""

    points: np.ndarray
    descriptors: np.ndarray
    mirrored_points: np.ndarray
    mirrored_descriptors: np.ndarray
    faint: bool = False
    """Found at the ``FAINT`` corner threshold: evidence for a match, never against one."""


def keypoints(path: str | os.PathLike[str]) -> Keypoints | None:
    """The file's ``Keypoints``, at the ``FAINT`` corner threshold when fewer than ``FEW`` are
    found at ``CORNERS``; None when it cannot be read or has too few to compare."""
    try:
        with open_image(path, SIDE // 2) as image:
            grey = to_rgb(image).convert("L")
    except (DecodeError, OSError, ValueError):
        return None
    scale = SIDE / max(grey.size)
    size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
    pixels = np.asarray(grey.resize(size))
    orb = cv2.ORB.create(nfeatures=FEATURES, fastThreshold=CORNERS)
    try:
        upright, codes = orb.detectAndCompute(pixels, None)
        faint = len(upright) < FEW
        if faint:  # the mirror image is read once, at the threshold the upright one settles
            orb.setFastThreshold(FAINT)
            upright, codes = orb.detectAndCompute(pixels, None)
        mirrored, mirrored_codes = orb.detectAndCompute(np.ascontiguousarray(pixels[:, ::-1]), None)
    except cv2.error:  # a strip too thin for ORB's window
        return None
    if any(d is None or len(d) < INLIERS for d in (codes, mirrored_codes)):
        return None
    return Keypoints(_positions(upright), codes, _positions(mirrored), mirrored_codes, faint)


def _positions(found: Sequence[cv2.KeyPoint]) -> np.ndarray:
    return np.array([k.pt for k in found], np.float32).reshape(-1, 2)


def fitted(a: Keypoints, b: Keypoints) -> int:
    """How many matches of ``a`` and ``b`` fit one plausible affine transform (0: none
    plausible); where fewer than ``INLIERS`` and ``DEEP_INLIERS`` do, the larger of that and
    the same with ``b`` mirrored (every decision compares the count with one of them or less)."""
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    upright = _fitted(matcher, a.points, a.descriptors, b.points, b.descriptors)
    if upright >= max(INLIERS, DEEP_INLIERS):
        return upright
    mirrored = _fitted(matcher, a.points, a.descriptors, b.mirrored_points, b.mirrored_descriptors)
    return max(upright, mirrored)


def _fitted(
    matcher: cv2.BFMatcher,
    points: np.ndarray,
    codes: np.ndarray,
    other_points: np.ndarray,
    other_codes: np.ndarray,
) -> int:
    near = [m for m in matcher.knnMatch(codes, other_codes, k=2) if len(m) == 2]
    good = [m[0] for m in near if m[0].distance < RATIO * m[1].distance]
    if len(good) < INLIERS:
        return 0
    source = points[[m.queryIdx for m in good]]
    target = other_points[[m.trainIdx for m in good]]
    transform, inliers = cv2.estimateAffine2D(
        source,
        target,
        method=cv2.RANSAC,
        ransacReprojThreshold=TOLERANCE * SIDE,
        maxIters=_TRIALS,
        confidence=0.99,
    )
    if transform is None or inliers is None or not plausible(transform[:, :2]):
        return 0
    return int(inliers.sum())


def plausible(linear: np.ndarray) -> bool:
    """Whether the linear part of an affine transform could be an edit of a photo: no
    reflection (mirror images are matched as such), axes within ``ANISOTROPY`` of each other
    and a scale within ``SCALES``."""
    longer, shorter = np.linalg.svd(linear, compute_uv=False)
    return (
        float(np.linalg.det(linear)) > 0
        and shorter >= ANISOTROPY * longer
        and SCALES[0] <= float(np.sqrt(longer * shorter)) <= SCALES[1]
    )


def rescues(calibrated: float | None, threshold: float) -> bool:
    """Whether pairs under ``threshold`` may be kept on their local features: not above the
    model's ``calibrated`` threshold (nor when it is unknown), since a stricter threshold asks
    for closer copies than a strong crop."""
    return calibrated is not None and threshold <= calibrated


def candidate_floor(threshold: float) -> float:
    """The lowest normalised score of the pairs that ``candidates_under`` may keep."""
    return max(threshold - max(MARGIN, DEEP), -1.0)


def searched_down(searched: SearchVectors, threshold: float) -> Pairs:
    """The pairs of the ``searched`` files down to ``candidate_floor(threshold)``."""
    floor = candidate_floor(threshold)
    return duplicate_pairs(
        searched.vectors, floor, searched.view_count, background=searched.background
    )


def candidates_under(found: Pairs, threshold: float, read: Drawings) -> tuple[Pairs, np.ndarray]:
    """Of the pairs ``found`` down to ``candidate_floor(threshold)``, the pairs of photos
    (neither a graphic, ``read``) under ``threshold`` and among the ``CANDIDATES`` best of
    either file, for ``confirmed`` to decide, and how many matches each needs: ``INLIERS`` at
    most ``MARGIN`` under the threshold, ``DEEP_INLIERS`` further under it."""
    found = found.take(found.scores < threshold)
    found = found.take(best_candidates(found) & _photos(found, read))
    return found, np.where(found.scores >= threshold - MARGIN, INLIERS, DEEP_INLIERS)


def neighbour_candidates(pairs: Pairs, count: int, read: Drawings) -> Pairs:
    """Pairs of photos among ``count`` files that ``pairs`` lack but that share a neighbour in
    them, for ``confirmed`` to decide: two copies of one original (a small crop, a turned
    copy) whose own score is too low even for ``candidates_under``. Scored by their best
    shared neighbour, as ``shared_neighbour_pairs`` scores the pairs it joins."""
    found = shared_neighbour_pairs(pairs, count, least=0.0)
    return found.take(_photos(found, read))


def _photos(pairs: Pairs, read: Drawings) -> np.ndarray:
    """Which of ``pairs`` are of two photos (neither a graphic, ``read``)."""
    photos = [
        read.graphic(i) is None and read.graphic(j) is None
        for i, j in zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)
    ]
    return np.array(photos, bool)


def best_candidates(pairs: Pairs, count: int = CANDIDATES) -> np.ndarray:
    """Which of ``pairs`` are among the ``count`` best scoring of either of their files."""
    ends = np.concatenate([pairs.first, pairs.second]).astype(np.int64)
    order, heads, run = runs(ends, np.concatenate([pairs.scores, pairs.scores]))
    rank = np.arange(len(order)) - heads[run]
    best = np.zeros(len(ends), bool)
    best[order] = rank < count
    return best[: len(pairs)] | best[len(pairs) :]


class Scenes:
    """The ``Keypoints`` of each image ``i`` of a search, from ``paths[i]`` (None: no file),
    read on first use and kept, and how well pairs of them fit one transform."""

    def __init__(self, paths: Sequence[str | os.PathLike[str] | None]) -> None:
        self.paths = paths
        self.read: dict[int, Keypoints | None] = {}

    def fitted(self, pairs: Pairs, faint: bool = True) -> np.ndarray:
        """For each of ``pairs`` (indices into ``paths``), how many matches fit one plausible
        transform (``fitted``); -1 where either file cannot be read or has too few keypoints
        (a flat drawing, a gradient), or, unless ``faint``, has only faint ones: then no
        evidence either way. Files are read, and pairs compared, on ``default_workers()``
        threads (OpenCV and Pillow release the GIL)."""
        if len(pairs) == 0:
            return np.zeros(0, np.int64)
        files = np.unique(np.concatenate([pairs.first, pairs.second])).tolist()
        todo = [i for i in files if i not in self.read]

        def read(i: int) -> Keypoints | None:
            path = self.paths[i]
            return None if path is None else keypoints(path)

        def count(pair: tuple[int, int]) -> int:
            a, b = self.read[pair[0]], self.read[pair[1]]
            if a is None or b is None or (not faint and (a.faint or b.faint)):
                return -1
            return fitted(a, b)

        with ThreadPoolExecutor(max_workers=default_workers()) as pool:
            self.read.update(zip(todo, pool.map(read, todo), strict=True))
            ends = zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)
            return np.fromiter(pool.map(count, ends), np.int64, count=len(pairs))

    def smooth(self, i: int) -> bool:
        """Whether image ``i`` (read by ``fitted`` already) has only faint keypoints or too few
        to compare: too smooth for its keypoints to confirm a copy (a wallpaper, a sky)."""
        found = self.read.get(i)
        return found is None or found.faint


def confirmed(pairs: Pairs, scenes: Scenes, least: np.ndarray | int = INLIERS) -> np.ndarray:
    """Which of ``pairs`` of photos (found under the threshold) show one scene: at least
    ``least`` (each pair's, or one for all) matches fit one transform."""
    return scenes.fitted(pairs) >= least


def rescued(
    found: Pairs,
    threshold: float,
    read: Drawings,
    scenes: Scenes,
    windows: Windows | None = None,
) -> Pairs:
    """The ``candidates_under`` ``threshold`` of the pairs ``found`` that ``confirmed`` keeps,
    and, with the model's ``windows`` at hand, those of a smooth photo that a window of the
    other shows (``search.windows``)."""
    candidates, least = candidates_under(found, threshold, read)
    fits = confirmed(candidates, scenes, least)
    if windows is not None:
        unsure = np.flatnonzero(~fits)
        fits[unsure] = windows.shown(candidates.take(unsure), scenes.smooth)
    return candidates.take(fits)


def refuted(pairs: Pairs, sure: np.ndarray, scenes: Scenes, threshold: float) -> np.ndarray:
    """Which of ``pairs`` found at ``threshold`` are photos (``sure`` infinite, as
    ``verify.verified`` gives it) scoring under ``threshold + CHECKED`` whose keypoints fit no
    transform (fewer than ``REFUTED`` matches, faint keypoints not counted): two look-alikes
    the score cannot tell apart."""
    unsure = np.flatnonzero((sure == np.inf) & (pairs.scores < threshold + CHECKED))
    found = scenes.fitted(pairs.take(unsure), faint=False)
    out = np.zeros(len(pairs), bool)
    out[unsure] = (found >= 0) & (found < REFUTED)
    return out

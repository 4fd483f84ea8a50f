"""Whether two graphics (icons, emoji, drawings) are the same asset, from their pixels.

Upsampled to the CNN's input, small flat drawings all look alike: on benchmarks/sets/graphics.py
no CNN threshold reaches precision 0.5 at a recall above 1%, and the same icon redrawn for
another size often scores low. So pairs of graphics are searched down to ``MARGIN`` below the
threshold, each graphic is also paired with its ``NEIGHBOURS`` nearest-looking drawings whatever
their score, and each pair is decided by a shipped classifier of the pair: its CNN score less
the threshold, and how its drawings differ (``FEATURES``: mean and local differences of
``drawing.GRIDS`` grids, overlap of their silhouettes and colours, whether one is the other's
mirror image). The classifier is boosted trees fitted by benchmarks/fit_graphics.py on the
tuning half, monotone in the score and in every difference (more alike never counts against a
pair; only how local a difference is may count either way) and blind to file sizes, so that a
copy at the same size, which the tuning half lacks, is judged like a copy at another. Sizes
count twice, outside it: two drawings of one size must have one shape (``MAX_CONFLICT``) and
not be two colourways or edits of one drawing (``_Table.variants``), and a pair below the
threshold is kept only when each file clearly prefers it to any other drawing of the other's
size (``clear_best``), as is, by a wider margin, a pair the classifier narrowly rejects (an
icon redrawn for another size).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import cast

import numpy as np

from imagededup.groups import connected_groups
from imagededup.search.auto import base_index
from imagededup.search.copies import duplicate_pairs
from imagededup.search.drawing import (
    GRIDS,
    LEVELS,
    PIXELS,
    Drawing,
    Drawings,
    turn_differences,
)
from imagededup.search.exact import blocks, unique_pairs
from imagededup.search.pairs import Pairs, runs

MARGIN = 0.35
"""Pairs of graphics are candidates down to this far below the search's threshold."""
MODEL = Path(__file__).parent.parent / "models" / "graphics.npz"
"""The shipped classifier: boosted trees over ``FEATURES`` (benchmarks/fit_graphics.py)."""
BLOCKS = 4
"""Blocks a side over which local differences are averaged (an emblem, a changed region)."""
SMOOTH = 4.0
"""Added to a pair's mean difference before its largest block difference is divided by it: how
local the difference is (an emblem) counts only where the drawings differ visibly at all."""
CHUNK = 4096
"""Pairs whose features are computed at once."""
MAX_CONFLICT = 0.02
"""Most share of the drawn pixels of a pair of one size that may be empty in the other drawing
(``drawing.Support``). An icon set draws each asset once per size, so two drawings of one
size whose shapes differ are two assets, whatever the classifier (blind to sizes) says: on
the tuning halves of benchmarks/sets/graphics.py this rejects 30 and 37 accepted false pairs
and no true one. Copies re-saved at their size keep their shape, but for the faint edge that
one-bit transparency (GIF) drops (``drawing.Support``)."""

RECOLOURED = 0.1
"""Least share of the pixels opaque in both drawings of a pair of one size that must change by
one colour shift (``_Table.variants``) for them to be two colourways of one drawing: another
skin tone or heart colour, which the classifier (blind to sizes) accepts at one size."""
SHIFT = 36
"""Least change (any channel, of 255) of a pixel that counts for ``RECOLOURED``."""
SHIFT_TOLERANCE = 12
"""How far (any channel) a changed pixel's shift may be from the pair's median shift to count
as the same shift."""
COHERENT = 0.7
"""Least share of the changed pixels that must share the median shift: lossy copies (WebP, a
JPEG on white) shift colours too, but less and less alike."""
SUBTLE = (20, 10, 0.05)
"""``SHIFT``, ``SHIFT_TOLERANCE`` and ``RECOLOURED`` of a second test for a subtler colourway
(EmojiOne's neighbouring skin tones differ by 23-35 a channel), on the interior pixels only
(opaque in both with all their neighbours) and only where the pixels that did not change
differ by less than ``CLEAN`` on average: an artist's colourways are exact outside the
recoloured region, while lossy copies differ a little everywhere and most along their edges."""
CLEAN = 5.0
"""Most mean difference (largest channel, of 255) of the unchanged interior pixels of a pair
for ``SUBTLE``."""
EDITED = (30, 0.02, 6.0)
"""Least change (any channel) of an interior pixel, least share of the interior so changed,
and most mean difference of the rest of the interior, for two drawings of one size to be two
edits of one drawing (another digit on a keycap, a folder with an emblem, another glyph in one
frame): an icon set draws each asset once per size, and the classifier, blind to sizes,
accepts such pairs at one size. Chosen on the tuning halves (README, "Edits of one size")."""

FEATURES = (
    "margin",
    *(
        f"{name}{g}"
        for g in GRIDS
        for name in ("mean", "cellmax", "cellp90", "blockmax", "blockratio", "iou")
    ),
    "mirror",
    "colours4",
    "colours8",
    "aspect",
)
"""What the classifier sees of a pair, in order (see ``features``)."""


@dataclass(frozen=True)
class SearchVectors:
    """The vectors a collection was searched with, for ``graphic_candidates`` and
    ``geometry.searched_down``, and the threshold the model was calibrated at (None:
    unknown)."""

    vectors: np.ndarray
    view_count: int = 1
    background: np.ndarray | None = None
    calibrated: float | None = None


def graphic_candidates(searched: SearchVectors, threshold: float, read: Drawings) -> Pairs:
    """Pairs of the graphics among the searched files (``read``) found by ``pairs_of_graphics``.
    Decodes every file whose header allows a graphic (transparency or at most ``drawing.TINY``
    px)."""
    drawings = [read.graphic(i) for i in range(len(read))]
    graphics = np.array([i for i, d in enumerate(drawings) if d is not None], np.int64)
    own = replace(searched, vectors=searched.vectors[graphics])
    drawn = [cast(Drawing, drawings[i]) for i in graphics.tolist()]
    found = pairs_of_graphics(own, drawn, threshold)
    return Pairs(graphics[found.first], graphics[found.second], found.scores)


def pairs_of_graphics(searched: SearchVectors, drawings: list[Drawing], threshold: float) -> Pairs:
    """Pairs of the graphics whose vectors are ``searched`` and whose drawings are ``drawings``
    (one row each) with a normalised score of at least ``threshold - MARGIN``, or among each
    other's ``NEIGHBOURS`` nearest drawings (``nearest_drawings``), with their normalised
    scores, for ``one_asset_odds`` to decide."""
    if len(drawings) < 2:
        return Pairs.empty()
    return duplicate_pairs(
        searched.vectors,
        threshold - MARGIN,
        searched.view_count,
        background=searched.background,
        also=nearest_drawings(drawings),
    )


NEIGHBOURS = 10
"""Nearest drawings of each graphic (``Drawing.looks``) that are its candidates whatever their
CNN score: upsampled to the CNN's input, an emoji at 32 px scores far below the same emoji at
160 px, while their grids barely differ. On the tuning halves of benchmarks/sets/graphics.py
this finds 50 of the 51 true pairs under the score's floor, for 8% more candidates (README)."""


def nearest_drawings(drawings: list[Drawing]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of drawings where either is among the other's
    ``NEIGHBOURS`` nearest by ``Drawing.looks`` (exact search, or IVF for large collections)."""
    looks = np.stack([d.looks for d in drawings]).astype(np.float32)
    index = base_index(looks)
    nearest = min(NEIGHBOURS + 1, len(drawings))
    found = [index.search(looks[start:stop], nearest)[1] for start, stop in blocks(len(looks))]
    neighbours = np.concatenate(found).ravel()
    rows = np.repeat(np.arange(len(looks)), nearest)
    known = neighbours >= 0  # IVF pads with -1 where a query's lists held too few
    pairs = unique_pairs(Pairs(rows[known], neighbours[known], np.zeros(known.sum(), np.float32)))
    return pairs.first, pairs.second


GAP = 0.25
"""How much surer (log-odds) than the runner-up, of either file at the other's size, a pair
below the threshold must be to be kept (``clear_best``). Chosen on the tuning halves of
benchmarks/sets/graphics.py, whole and as random subsets of 60 and 300 files (README,
"Generalisation")."""

DOUBT = 1.0
"""How far (log-odds) under the classifier's cut a pair of two sizes may be and still be kept as
the clear best of both its files (``clear_best``), by ``DOUBTED_GAP``; with no runner-up,
``-DOUBT`` stands in for it. An icon theme redraws each icon at each size, and the classifier,
which sees one pair at a time, rejects many such redrawings that no other drawing of that size
rivals. Chosen on the tuning halves of benchmarks/sets/graphics.py, whole and as random subsets
(README, "Redrawn at another size")."""
DOUBTED_GAP = 1.0
"""How much surer than the runner-up a pair the classifier rejects must be to be kept."""


SURE_COPIES = 3.0
"""Log-odds over the classifier's cut from which two drawings of one size kept at the threshold
are copies of one asset in ``clear_best`` (another format): they count as one candidate, and
share their pairs. Chosen on the tuning halves of benchmarks/sets/graphics.py and formats.py,
whole and as random subsets: lower, skin tones and edits of one button that the classifier
wrongly accepts at one size pass as copies too (README, "Copies in another format", "Copies
share their pairs")."""


def clear_best(pairs: Pairs, sure: np.ndarray, read: Drawings, threshold: float) -> np.ndarray:
    """Which of ``pairs`` to keep: those that ``sure`` (log-odds over the classifier's cut,
    infinite for photos: ``verify.verified`` with no floor) calls one asset, at ``threshold``
    or, below it, when each of the two files prefers the pair by ``GAP`` to any other of the
    other's size, rejected ones included (the ratio test of feature matching), drawings of one
    size that the classifier calls one asset counting as one (copies in another format); and
    pairs of two sizes it rejects by at most ``DOUBT``, at any score, that both files prefer so
    by ``DOUBTED_GAP``. An icon set draws each asset once per size: the same icon redrawn at
    another size is the best match among that size's drawings, while a drawing whose asset is
    missing meets several near-misses alike, and a pair below the threshold that only one file
    prefers would chain look-alikes into a group. Copies share their pairs: a pair of a copy
    and a third drawing is kept where another copy's is, unless a pixel test rules it out (an
    icon's sizes then group with all its copies, each of which the icon's other sizes rank
    differently)."""
    keep = (sure >= 0) & (pairs.scores >= threshold)
    graphic = np.flatnonzero(sure < np.inf)  # both files read (``verified``)
    if len(graphic) == 0:
        return keep
    count = len(graphic)
    first, second = pairs.first[graphic].astype(np.int64), pairs.second[graphic].astype(np.int64)
    known, rows = np.unique(np.concatenate([first, second]), return_inverse=True)
    sizes = np.array([cast(Drawing, read(i)).size for i in known.tolist()], np.int64)
    size_code = np.unique(sizes, axis=0, return_inverse=True)[1].reshape(-1)
    files, others = rows, np.concatenate([rows[count:], rows[:count]])
    odds = np.concatenate([sure[graphic], sure[graphic]])
    one_size = size_code[rows[:count]] == size_code[rows[count:]]
    copies = sure_copies(pairs, sure, read, threshold)[graphic]
    cluster = np.arange(len(known))  # drawings of one size called one asset: one candidate
    same_size = Pairs(rows[:count][copies], rows[count:][copies], sure[graphic][copies])
    for group in connected_groups(len(known), same_size):
        cluster[group] = group[0]
    ends = files * (int(size_code.max()) + 1) + size_code[others]  # (file, the other's size)
    order, heads, end_of = runs(ends, odds)  # the pairs of each end, surest first
    ranked, rival = odds[order], cluster[others[order]]
    best = rival[heads][end_of]  # each end's best candidate (with its copies)
    runner_up = np.maximum.reduceat(np.where(rival != best, ranked, -np.inf), heads)
    runner_up[runner_up == -np.inf] = -DOUBT  # none, or only drawings ruled out: -DOUBT stands in
    margin = np.empty(len(ends))  # over the runner-up, where the pair is the best
    margin[order] = np.where(rival == best, ranked - runner_up[end_of], -np.inf)
    accepted = sure[graphic] >= 0
    doubted = ~one_size & (sure[graphic] >= -DOUBT)  # a redrawing is of another size
    clear = np.minimum(margin[:count], margin[count:]) >= np.where(accepted, GAP, DOUBTED_GAP)
    keep[graphic[clear & (accepted | doubted)]] = True
    low, high = np.sort(cluster[rows].reshape(2, count), axis=0)
    assets = low * len(known) + high  # each pair's two groups of copies
    shared = np.isin(assets, assets[keep[graphic]]) & (sure[graphic] > -np.inf)
    keep[graphic[shared]] = True  # copies share their pairs
    return keep


def sure_copies(pairs: Pairs, sure: np.ndarray, read: Drawings, threshold: float) -> np.ndarray:
    """Which of ``pairs`` (``sure`` as for ``clear_best``) are surely two copies of one asset:
    drawings of one size found at ``threshold`` that the classifier calls one asset by at least
    ``SURE_COPIES`` log-odds (an icon saved again in another format)."""
    out = (sure >= SURE_COPIES) & (sure < np.inf) & (pairs.scores >= threshold)
    for k in np.flatnonzero(out).tolist():
        a, b = read(int(pairs.first[k])), read(int(pairs.second[k]))
        out[k] = a is not None and b is not None and a.size == b.size
    return out


def one_asset_odds(pairs: Pairs, read: Drawings, threshold: float) -> np.ndarray:
    """For each pair found at ``threshold`` (both files readable), the classifier's log-odds
    that it is one asset, less its cut: one asset from 0; minus infinity for two drawings of
    one size whose shapes differ (``MAX_CONFLICT``), or, where it would be one asset, that are
    two colourways or edits of one drawing, or two colourways of one frame at two sizes
    (``_Table.variants``)."""
    if len(pairs) == 0:
        return np.zeros(0)
    table, first, second = _tabled(pairs, read)
    margins = pairs.scores.astype(np.float32) - np.float32(threshold)
    odds = classifier().log_odds(table.features(first, second, margins)) - classifier().cut
    odds[table.reshaped(first, second)] = -np.inf
    accepted = np.flatnonzero(odds >= -DOUBT)  # a variant only matters where it may be kept
    odds[accepted[table.variants(first[accepted], second[accepted])]] = -np.inf
    return odds


def pair_features(pairs: Pairs, read: Drawings, threshold: float) -> np.ndarray:
    """The ``FEATURES`` of each pair (rows) found at ``threshold``; both files readable."""
    if len(pairs) == 0:
        return np.zeros((0, len(FEATURES)), np.float32)
    table, first, second = _tabled(pairs, read)
    return table.features(first, second, pairs.scores.astype(np.float32) - np.float32(threshold))


def _tabled(pairs: Pairs, read: Drawings) -> tuple[_Table, np.ndarray, np.ndarray]:
    """The drawings of the files in ``pairs`` as a ``_Table``, and each pair's two rows. Where
    one drawing of a pair was flattened on a colour (``Drawing.flattened``) and the other was
    not, the other's row is its drawing as flattened on that colour: a JPEG copy of an icon
    lost what it looked like on any other backdrop."""
    files, rows = np.unique(np.concatenate([pairs.first, pairs.second]), return_inverse=True)
    drawings = [read(i) for i in files.tolist()]
    if any(d is None for d in drawings):
        raise ValueError("the pixel checks need both files of every pair readable")
    backdrops = [cast(Drawing, d).flattened for d in drawings]
    flat = np.array([b is not None for b in backdrops], bool)[rows].reshape(2, len(pairs))
    added: dict[tuple[int, tuple[int, int, int]], int] = {}
    for k in np.flatnonzero(flat[0] != flat[1]).tolist():
        this, other = (k, k + len(pairs)) if flat[0, k] else (k + len(pairs), k)
        key = (int(files[rows[other]]), cast(tuple[int, int, int], backdrops[rows[this]]))
        if key not in added:
            flattened = read.flattened(*key)  # None: unreadable since, then compared as it was
            added[key] = int(rows[other]) if flattened is None else len(drawings)
            drawings += [] if flattened is None else [flattened]
        rows[other] = added[key]
    first, second = rows[: len(pairs)], rows[len(pairs) :]
    return _Table(cast(list[Drawing], drawings)), first, second


class _Table:
    """The drawings of a set of files stacked into uint8 arrays, one row each (rows are made
    floats a chunk of pairs at a time)."""

    def __init__(self, drawings: list[Drawing]) -> None:
        self.white = [np.stack([d.on_white[k] for d in drawings]) for k in range(len(GRIDS))]
        self.black = [np.stack([d.on_black[k] for d in drawings]) for k in range(len(GRIDS))]
        self.alpha = [np.stack([d.alpha[k] for d in drawings]) for k in range(len(GRIDS))]
        self.colours = [np.stack([d.colours[k] for d in drawings]) for k in range(len(LEVELS))]
        self.aspect = np.array([d.aspect for d in drawings], np.float32)
        self.size = np.array([d.size for d in drawings], np.int64).reshape(-1, 2)
        self.drawn = _stacked_bits([d.support.drawn for d in drawings])
        self.core = _stacked_bits([d.support.core for d in drawings])
        self.empty = _stacked_bits([d.support.empty for d in drawings])
        self.has_empty = self.empty.any(axis=1)
        self.one_bit = np.array([d.support.one_bit for d in drawings], bool)
        self.pixels = np.stack([d.pixels for d in drawings])

    def features(self, a: np.ndarray, b: np.ndarray, margins: np.ndarray) -> np.ndarray:
        """``FEATURES`` of the pairs of rows ``(a[k], b[k])``, one row per pair, ``CHUNK``
        pairs at a time."""
        return np.concatenate(
            [
                self._features(a[start:stop], b[start:stop], margins[start:stop])
                for start, stop in blocks(len(a), CHUNK)
            ]
        )

    def reshaped(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether the drawings of rows ``a[k]`` and ``b[k]`` are of one size and more than
        ``MAX_CONFLICT`` of the pixels drawn in either are empty in the other (two assets of
        one icon set, such as a status icon and its partial mirror image); never when either
        has no empty pixel (``drawing.Support``). Where one has one-bit transparency and only
        lacks pixels of the other, only the other's core counts: the edge a GIF drops is no
        other shape."""
        out = np.zeros(len(a), bool)
        same = (self.size[a] == self.size[b]).all(axis=1) & self.has_empty[a] & self.has_empty[b]
        rows = np.flatnonzero(same)
        for start, stop in blocks(len(rows), CHUNK):
            s = rows[start:stop]
            i, j = a[s], b[s]
            lost = _bit_count(self.drawn[i] & self.empty[j])  # drawn in i, empty in j
            gained = _bit_count(self.drawn[j] & self.empty[i])
            core = _bit_count((self.core[i] & self.empty[j]) | (self.core[j] & self.empty[i]))
            one_bit_copy = ((gained == 0) & self.one_bit[j]) | ((lost == 0) & self.one_bit[i])
            clash = np.where(one_bit_copy, core, lost + gained)  # a GIF drops faint edges
            union = _bit_count(self.drawn[i] | self.drawn[j])
            out[s] = clash > MAX_CONFLICT * np.maximum(union, 1)
        return out

    def variants(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether the drawings of rows ``a[k]`` and ``b[k]`` are two variants of one drawing,
        measured on ``drawing.PIXELS`` thumbnails: colourways, where more than
        ``RECOLOURED`` of the pixels opaque in both changed by one colour shift (``COHERENT``
        of the changed ones within ``SHIFT_TOLERANCE`` of their median shift), also at two
        sizes of one frame (``_one_frame``: an emoji's skin tone rendered at 72 and 160 px), or,
        of one size, by the ``SUBTLE`` test, their interiors did (an emoji's skin tones); or
        edits of one size, where a clear part of their interiors differs (``EDITED``) and the
        rest is alike."""
        out = np.zeros(len(a), bool)
        one_size = (self.size[a] == self.size[b]).all(axis=1)
        rows = np.flatnonzero(one_size | self._one_frame(a, b))
        for start, stop in blocks(len(rows), CHUNK):
            s = rows[start:stop]
            first = self.pixels[a[s]].astype(np.int16)
            second = self.pixels[b[s]].astype(np.int16)
            shift = second[..., :3] - first[..., :3]
            biggest = np.abs(shift).max(axis=-1)
            both = (first[..., 3] > 127) & (second[..., 3] > 127)
            inner = _interior(both)
            least, share, clean = EDITED
            _, edited, rest = _differences(biggest, inner, least)
            subtle = _one_shift(shift, biggest, inner, *SUBTLE, clean=CLEAN)
            out[s] = _one_shift(shift, biggest, both, SHIFT, SHIFT_TOLERANCE, RECOLOURED) | (
                one_size[s] & (subtle | ((edited > share) & (rest < clean)))
            )
        return out

    def _one_frame(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether rows ``a[k]`` and ``b[k]`` are at least ``drawing.PIXELS`` a side and of one
        aspect ratio: their thumbnails then show one frame at one scale. Only the plain colour
        shift is tested across sizes: resampling blurs interiors too much for the subtler
        tests, and an icon redrawn for another size differs in its details."""
        size_a, size_b = self.size[a], self.size[b]
        large = (size_a >= PIXELS).all(axis=1) & (size_b >= PIXELS).all(axis=1)
        return large & (size_a[:, 0] * size_b[:, 1] == size_a[:, 1] * size_b[:, 0])

    def _features(self, a: np.ndarray, b: np.ndarray, margins: np.ndarray) -> np.ndarray:
        columns = [margins]
        for k, g in enumerate(GRIDS):
            white_a, white_b = _floats(self.white[k], a), _floats(self.white[k], b)
            black_a, black_b = _floats(self.black[k], a), _floats(self.black[k], b)
            alpha_a, alpha_b = _floats(self.alpha[k], a) / 255, _floats(self.alpha[k], b) / 255
            diff = (np.abs(white_a - white_b) + np.abs(black_a - black_b)) / 2
            cell = diff.max(axis=-1)
            mean = diff.mean(axis=(1, 2, 3))
            side = g // BLOCKS
            block = cell.reshape(len(a), BLOCKS, side, BLOCKS, side).mean(axis=(2, 4))
            block_max = block.max(axis=(1, 2))
            overlap = np.minimum(alpha_a, alpha_b).sum(axis=(1, 2))
            union = np.maximum(alpha_a, alpha_b).sum(axis=(1, 2))
            columns += [
                mean,
                cell.max(axis=(1, 2)),
                np.percentile(cell.reshape(len(a), -1), 90, axis=1),
                block_max,
                block_max / (mean + SMOOTH),
                overlap / np.maximum(union, 1e-6),
            ]
        columns.append(_mirror_ratio(_floats(self.white[1], a), _floats(self.white[1], b)))
        columns += [np.minimum(c[a], c[b]).sum(axis=1) for c in self.colours]
        columns.append(np.abs(self.aspect[a] - self.aspect[b]))
        return np.stack(columns, axis=1).astype(np.float32)


def _one_shift(
    shift: np.ndarray,
    biggest: np.ndarray,
    region: np.ndarray,
    least: int,
    tolerance: int,
    share: float,
    clean: float = np.inf,
) -> np.ndarray:
    """For each pair (``shift``: ``N x H x W x 3`` pixel differences, ``biggest``: their
    largest channel), whether more than ``share`` of its ``region`` changed by more than
    ``least``, ``COHERENT`` of those within ``tolerance`` of their median shift, while the
    rest of the region differs by less than ``clean`` on average."""
    changed, shares, rest = _differences(biggest, region, least)
    out = np.zeros(len(shift), bool)
    for k in np.flatnonzero((shares > share) & (rest < clean)).tolist():
        moved = shift[k][changed[k]]
        off = np.abs(moved - np.median(moved, axis=0)).max(axis=1)
        out[k] = (off <= tolerance).mean() > COHERENT
    return out


def _differences(
    biggest: np.ndarray, region: np.ndarray, least: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: the pixels of its ``region`` whose largest channel change (``biggest``) is
    over ``least``, their share of the region, and the mean largest change of the rest of the
    region (0 where none is left)."""
    changed = region & (biggest > least)
    shares = changed.sum(axis=(1, 2)) / np.maximum(region.sum(axis=(1, 2)), 1)
    rest = region & ~changed
    noise = (biggest * rest).sum(axis=(1, 2)) / np.maximum(rest.sum(axis=(1, 2)), 1)
    return changed, shares, noise


def _interior(mask: np.ndarray) -> np.ndarray:
    """``N x H x W`` masks less every pixel with a neighbour (of 8) outside them."""
    height, width = mask.shape[1:]
    padded = np.pad(mask, ((0, 0), (1, 1), (1, 1)))
    shifted = [padded[:, dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)]
    return np.logical_and.reduce(shifted)


def _stacked_bits(rows: list[np.ndarray]) -> np.ndarray:
    """Packed bit rows of any lengths as one uint8 array, zero-padded to the longest."""
    out = np.zeros((len(rows), max((len(r) for r in rows), default=0)), np.uint8)
    for k, row in enumerate(rows):
        out[k, : len(row)] = row
    return out


def _bit_count(packed: np.ndarray) -> np.ndarray:
    """Set bits in each row of a packed uint8 array."""
    return np.unpackbits(packed, axis=1).sum(axis=1, dtype=np.int64)


def _floats(stack: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return stack[rows].astype(np.float32)


def _mirror_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many times less different ``b`` is from ``a`` mirrored or turned than as it is."""
    as_is, best = turn_differences(a, b)
    return (as_is + 1) / (best + 1)  # smoothed: two near-copies of a symmetric drawing are ~1


class Trees:
    """Boosted binary trees over ``FEATURES``: a pair's log-odds is ``base`` plus the leaf each
    tree sends it to; it is one asset when that reaches ``cut``. Stored as flat node arrays."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        names = tuple(str(n) for n in arrays["features"])
        if names != FEATURES:
            raise ValueError(f"graphics classifier expects features {names}, not {FEATURES}")
        self.roots = arrays["roots"].astype(np.int64)
        self.feature = arrays["feature"].astype(np.int64)
        self.split = arrays["split"].astype(np.float64)
        self.left = arrays["left"].astype(np.int64)
        self.right = arrays["right"].astype(np.int64)
        self.value = arrays["value"].astype(np.float64)
        self.leaf = arrays["leaf"].astype(bool)
        self.base = float(arrays["base"])
        self.cut = float(arrays["cut"])

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        """Each row's summed leaf values plus ``base``."""
        total = np.full(len(x), self.base)
        rows = np.arange(len(x))
        for root in self.roots.tolist():
            node = np.full(len(x), root, np.int64)
            while not self.leaf[node].all():
                inner = ~self.leaf[node]
                goes_left = x[rows, self.feature[node]].astype(np.float64) <= self.split[node]
                node = np.where(inner, np.where(goes_left, self.left[node], self.right[node]), node)
            total += self.value[node]
        return total

    def accepts(self, x: np.ndarray) -> np.ndarray:
        """Whether each row of features is one asset."""
        return self.log_odds(x) >= self.cut


@cache
def classifier() -> Trees:
    """The shipped classifier, loaded once."""
    with np.load(MODEL, allow_pickle=False) as arrays:
        return Trees(dict(arrays))

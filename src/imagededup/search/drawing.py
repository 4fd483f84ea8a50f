"""What the pixel checks of graphics read from a file: colours and small grids of its content.

A graphic is a file with transparent pixels or at most ``TINY`` px. Its content is cut to the
box of its drawn pixels, at least ``DRAWN`` (icons of one name carry different margins at each
size, and a GIF's one-bit transparency drops a faint shadow) and reduced to ``GRIDS`` grids
composited on white and on black (so that neither a white nor a black drawing vanishes) with
the alpha channel beside them, and to colour histograms of the visible pixels. An opaque file
drawn on a flat one-colour background (an icon flattened as JPEG) first has that background
made transparent (``_matted``), so that it compares with its transparent original (itself
flattened on that colour for the comparison: ``Drawing.flattened``); any other photo (no
transparency, larger than ``TINY``) keeps its whole frame.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from imagededup.images.decode import DecodeError, open_image, open_lazily
from imagededup.images.loader import default_workers

TINY = 48
"""Files no larger than this (longest side, px) are graphics even without transparency."""
GRIDS = (8, 16)
"""Sizes (cells a side) of the grids each drawing is reduced to."""
LEVELS = (4, 8)
"""Levels per channel of the two colour histograms (64 and 512 colours)."""
HUES = 36
"""Bins of the hue histogram (10 degrees each)."""
SAMPLE = 64
"""Files are read at most this size (px) for the checks."""
PIXELS = 32
"""Side (px) of the whole-frame RGBA thumbnail kept for comparing two drawings of one size."""
DRAWN = 64
"""Alpha from which a pixel counts as drawn in a ``Support``: a quarter opaque, so the grey,
half-transparent strokes of symbolic icons count (a GIF written by Pillow keeps them)."""
FLAT = 48
"""Most any channel of a pixel of an opaque image may differ from its border's median colour
to count as flat background (``_matted``): JPEG's noise on white, and a faint shadow (under a
fifth opaque: not visible in the transparent original either)."""
FLAT_BORDER = 0.9
"""Least share of an opaque image's border that must be flat for it to have a background (the
rest: a drawing touching the frame)."""
BACKDROP_STEP = 32
"""Levels to which the colour a drawing was flattened on is rounded (``Drawing.flattened``):
a JPEG's white background comes out as any of dozens of near-whites, and the other drawing of a
pair is flattened on each colour anew, while a few levels more or less at its edges are far
under ``FLAT``."""
PLAIN = 0.99
"""Least share of a photo's visible pixels within ``PLAIN_SPREAD`` of their median colour (at
most ``SAMPLE`` px) for it to be plain: one colour over the whole frame (a plain background, a
blank frame, a crop of a flat region). The CNN's vector of a plain image says little: plain
images of any two colours, and one and a dark wallpaper, score 0.75-0.9."""
PLAIN_SPREAD = 2
"""Most any channel of a plain photo's pixel may differ from its median colour. Reduced to
``SAMPLE`` px, a flat colour saved as JPEG keeps all its pixels within 1, while a faint pattern
does not (GNOME's `symbolic` wallpaper and its copies: 80-95% within 2)."""
OPAQUE_MODES = frozenset({"1", "L", "RGB", "CMYK", "YCbCr", "I", "I;16", "F"})
"""Modes without an alpha channel: such a file is a graphic only if small or transparent."""


@dataclass(frozen=True)
class Hues:
    """An image's mean chroma (max less min channel, 0-255) and its chroma-weighted ``HUES``
    histogram (summing to 1, zeros if grey): the colours of a photo, blind to brightness; and
    its colour if it has only one."""

    chroma: float
    weights: np.ndarray
    plain: np.ndarray | None = None
    """Its one colour (RGB, the median of its pixels) when it is plain (``PLAIN``), else None."""


@dataclass(frozen=True)
class Support:
    """Which pixels of an image's sample (at most ``SAMPLE`` px, whole frame) are drawn (alpha at
    least ``DRAWN``), which of those are its core (half opaque, or fainter but not at the edge
    of such a pixel) and which are empty (alpha 0), as bits packed along rows
    (``np.packbits``), and whether the file's transparency is one-bit. Re-encoding keeps drawn
    and empty apart, except that one-bit transparency (GIF) drops the faint edge of a drawing
    (never its core) and adds nothing."""

    drawn: np.ndarray
    core: np.ndarray
    empty: np.ndarray
    one_bit: bool

    @classmethod
    def of(cls, alpha: np.ndarray, one_bit: bool) -> Support:
        """The support of an alpha channel (``H x W`` uint8; files of one size give one shape)."""
        solid = alpha > 127
        drawn = alpha >= DRAWN
        core = solid | (drawn & ~_grown(solid))
        return cls(np.packbits(drawn), np.packbits(core), np.packbits(alpha == 0), one_bit)


def _grown(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every pixel next to (or diagonal from) a set one set too."""
    padded = np.pad(mask, 1)
    rows, cols = mask.shape
    out = np.zeros(mask.shape, bool)
    for dy in range(3):
        for dx in range(3):
            out |= padded[dy : dy + rows, dx : dx + cols]
    return out


@dataclass(frozen=True)
class Drawing:
    """A file's content for the checks: whether it is a graphic, its colour histograms (one per
    ``LEVELS``, summing to 1), its ``GRIDS`` grids on white and on black (``G x G x 3``) and of
    alpha (``G x G``), as uint8 (the reduction's own values, 4x smaller than floats), and the
    log aspect ratio of its content, its decoded size, ``Support`` and whole-frame thumbnail
    (``PIXELS``), and, for a photo, its ``Hues`` (a graphic's pairs are the classifier's to
    decide, so its hues are never computed)."""

    graphic: bool
    colours: tuple[np.ndarray, ...]
    on_white: tuple[np.ndarray, ...]
    on_black: tuple[np.ndarray, ...]
    alpha: tuple[np.ndarray, ...]
    aspect: float
    size: tuple[int, int]
    support: Support
    pixels: np.ndarray
    hues: Hues | None
    flattened: tuple[int, int, int] | None = None
    """For an opaque file whose flat background was made transparent (``_matted``), the colour
    it was flattened on: its edges are blends with that colour, so another drawing compares
    with it as flattened on that colour too (``Drawings.flattened``)."""

    @property
    def thumbnail(self) -> np.ndarray:
        """The coarsest grid on white, as floats: the shape compared with its mirror images."""
        return self.on_white[0].astype(np.float32)

    @property
    def transparent(self) -> bool:
        """Whether any of its pixels is fully transparent: a drawing on no background."""
        return bool(self.support.empty.any())

    @property
    def looks(self) -> np.ndarray:
        """The coarsest grids on white and on black as one unit vector, mean removed: drawings
        that look alike at that grid are near, whatever their sizes and the CNN's score."""
        values = np.concatenate([self.on_white[0].ravel(), self.on_black[0].ravel()])
        centred = values.astype(np.float32) - values.mean(dtype=np.float32)
        return centred / max(float(np.linalg.norm(centred)), 1e-6)


Sample = tuple[tuple[int, int], Image.Image, bool]
"""A file's decoded size, its pixels as RGBA at most ``SAMPLE`` px, and whether its alpha is
one-bit (``_sample``)."""


def drawing(path: str | os.PathLike[str]) -> Drawing | None:
    """The file's ``Drawing``, or None when it cannot be read (then no check is made)."""
    sample = _sample(path)
    return None if sample is None else _drawing(sample)


def _drawing(sample: Sample, backdrop: tuple[int, int, int] | None = None) -> Drawing:
    """The ``Drawing`` of a file's ``sample``; with a ``backdrop``, as flattened on that colour
    (as a JPEG copy of it would be), to compare with a drawing that was."""
    size, rgba, one_bit = sample
    if backdrop is not None:
        rgba = Image.alpha_composite(Image.new("RGBA", rgba.size, (*backdrop, 255)), rgba)
    alpha = rgba.getchannel("A")
    opaque = int(np.asarray(alpha).min()) == 255
    graphic = max(size) <= TINY or not opaque
    flat = _matted(rgba) if opaque else None
    matted, flattened = (None, None) if flat is None else flat
    drawn = rgba if matted is None else matted
    cut = graphic or matted is not None
    content = drawn.crop(_visible_box(drawn.getchannel("A"))) if cut else rgba
    visible = _visible(content)
    backgrounds = []
    for colour in ((255, 255, 255, 255), (0, 0, 0, 255)):
        canvas = Image.new("RGBA", content.size, colour)
        canvas.alpha_composite(content)
        backgrounds.append(canvas.convert("RGB"))

    def grids(image: Image.Image) -> tuple[np.ndarray, ...]:
        return tuple(np.asarray(image.resize((g, g), Image.Resampling.BOX)) for g in GRIDS)

    return Drawing(
        graphic=graphic,
        colours=tuple(histogram(visible, levels) for levels in LEVELS),
        on_white=grids(backgrounds[0]),
        on_black=grids(backgrounds[1]),
        alpha=grids(content.getchannel("A")),
        aspect=float(np.log(content.size[0] / content.size[1])),
        size=size,
        support=Support.of(np.asarray(alpha), one_bit),
        pixels=_thumbnail(drawn),
        hues=None if graphic else hue_histogram(visible if matted is None else _visible(rgba)),
        flattened=flattened,
    )


def hues(path: str | os.PathLike[str]) -> Hues | None:
    """The ``Hues`` of the file's visible pixels, without the rest of its ``Drawing`` (a photo
    paired only with photos needs no more), or None when it cannot be read."""
    sample = _sample(path)
    return None if sample is None else hue_histogram(_visible(sample[1]))


def _sample(path: str | os.PathLike[str]) -> Sample | None:
    """The file's decoded size, its pixels as RGBA at most ``SAMPLE`` px, and whether its alpha
    is one-bit (only 0 and 255, before the reduction) (None: unreadable). The size is the
    file's own unless a JPEG was drafted or a huge image reduced on decoding."""
    try:
        with open_image(path, SAMPLE) as image:
            size = image.size
            rgba = image.convert("RGBA")
    except (DecodeError, OSError, ValueError, SyntaxError):
        return None
    one_bit = sum(rgba.getchannel("A").histogram()[1:255]) == 0
    if max(rgba.size) > SAMPLE:
        rgba.thumbnail((SAMPLE, SAMPLE), Image.Resampling.BOX)
    return size, rgba, one_bit


def _matted(rgba: Image.Image) -> tuple[Image.Image, tuple[int, int, int]] | None:
    """An opaque image with its flat background made transparent, as far as that reaches from
    the border, and that background's colour: a drawing flattened on one colour (an icon saved
    as JPEG or BMP) is then cut and compared as its transparent original is. None when less
    than ``FLAT_BORDER`` of the border is one colour (within ``FLAT``) or nothing else is
    drawn."""
    pixels = np.asarray(rgba)[..., :3].astype(np.int16)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    colour = np.median(border, axis=0)
    if (np.abs(border - colour).max(axis=1) <= FLAT).mean() < FLAT_BORDER:
        return None
    flat = np.abs(pixels - colour).max(axis=2) <= FLAT
    edge = np.zeros(flat.shape, bool)
    edge[[0, -1], :] = edge[:, [0, -1]] = True
    background = edge & flat
    while True:  # flood the flat pixels from the border
        grown = _grown(background) & flat
        if (grown == background).all():
            break
        background = grown
    if background.all():
        return None
    matted = rgba.copy()
    matted.putalpha(Image.fromarray(np.where(background, 0, 255).astype(np.uint8)))
    red, green, blue = (min(255, BACKDROP_STEP * round(c / BACKDROP_STEP)) for c in colour)
    return matted, (red, green, blue)


def _thumbnail(rgba: Image.Image) -> np.ndarray:
    """The whole frame as RGBA at most ``PIXELS`` px, zero-padded to ``PIXELS`` square (files
    of one size give one thumbnail size; padding is transparent)."""
    small = rgba.copy()
    small.thumbnail((PIXELS, PIXELS), Image.Resampling.BOX)
    out = np.zeros((PIXELS, PIXELS, 4), np.uint8)
    out[: small.height, : small.width] = np.asarray(small)
    return out


def _visible_box(alpha: Image.Image) -> tuple[int, int, int, int]:
    """The box of the drawn pixels (alpha at least ``DRAWN``; else of any at all, else the
    frame): a faint shadow does not widen it, so a copy with one-bit transparency (GIF) is cut
    alike."""
    return (
        alpha.point(lambda a: 255 if a >= DRAWN else 0).getbbox()
        or alpha.getbbox()
        or (0, 0, *alpha.size)
    )


def _visible(rgba: Image.Image) -> np.ndarray:
    """The ``N x 3`` colours of the pixels at least half opaque: those a viewer shows. A faint
    drawing (none half opaque, such as a greyed-out status icon) gives its drawn pixels, else
    any not transparent, so that its colours still compare with its other sizes'."""
    pixels = np.asarray(rgba).reshape(-1, 4)
    for shown in (pixels[:, 3] > 127, pixels[:, 3] >= DRAWN, pixels[:, 3] > 0):
        if shown.any():
            return pixels[shown, :3]
    return pixels[:0, :3]


def histogram(rgb: np.ndarray, levels: int) -> np.ndarray:
    """Share of the ``N x 3`` pixels in each of ``levels**3`` colours (zeros if none)."""
    quantised = rgb.astype(np.int64) // (256 // levels)
    codes = (quantised[:, 0] * levels + quantised[:, 1]) * levels + quantised[:, 2]
    counts = np.bincount(codes, minlength=levels**3).astype(np.float32)
    return counts / max(float(counts.sum()), 1.0)


def hue_histogram(rgb: np.ndarray) -> Hues:
    """The ``Hues`` of the ``N x 3`` pixels: each pixel's hue weighted by its chroma, so grey
    pixels count for nothing (scaling brightness changes neither hue nor share), and their one
    colour if they are plain."""
    if len(rgb) == 0:
        return Hues(0.0, np.zeros(HUES, np.float32))
    median = np.median(rgb, axis=0)
    plain = share_near(rgb, median, PLAIN_SPREAD) >= PLAIN
    values = rgb.astype(np.float32)
    top, bottom = values.max(axis=1), values.min(axis=1)
    chroma = top - bottom
    hue = np.asarray(Image.fromarray(rgb[None].astype(np.uint8)).convert("HSV"))[0, :, 0]
    counts = np.bincount(hue.astype(np.int64) * HUES // 256, weights=chroma, minlength=HUES)
    total = float(counts.sum())
    weights = (counts / total if total > 0 else counts).astype(np.float32)
    return Hues(float(chroma.mean()), weights, median if plain else None)


def share_near(rgb: np.ndarray, colour: np.ndarray, spread: float) -> float:
    """Share of the ``N x 3`` pixels within ``spread`` (every channel) of ``colour``."""
    if len(rgb) == 0:
        return 0.0
    return float((np.abs(rgb.astype(np.float32) - colour).max(axis=1) <= spread).mean())


def turn_differences(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean difference of each pair of stacked grids (``N x G x G x 3`` floats) as they are,
    and with ``b`` mirrored, flipped or turned by 90, 180 or 270 degrees, whichever way makes
    it least: a mirror image (or turn) of another drawing differs far less that way."""
    turns = [np.flip(b, 2), np.flip(b, 1), *(np.rot90(b, k, axes=(1, 2)) for k in (1, 2, 3))]
    as_is = np.abs(a - b).mean(axis=(1, 2, 3))
    return as_is, np.min([np.abs(a - t).mean(axis=(1, 2, 3)) for t in turns], axis=0)


class Drawings:
    """The ``Drawing`` of each image ``i`` of a search, from ``paths[i]`` (None: no file), read
    on first use; a file whose header shows it cannot be a graphic (larger than ``TINY``, no
    alpha channel, no transparent colour) is never decoded unless a graphic's pair needs it."""

    def __init__(self, paths: Sequence[str | os.PathLike[str] | None]) -> None:
        self.paths = paths
        self.read: dict[int, Drawing | None] = {}
        self.colours: dict[int, Hues | None] = {}
        self.possible: dict[int, bool] = {}
        self.samples: dict[int, Sample | None] = {}
        self.backdropped: dict[tuple[int, tuple[int, int, int]], Drawing | None] = {}
        self.copies: set[int] = set()
        """Images noted as copies of graphics (``note_copies``)."""

    def note_copies(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Note the images of these pairs that are drawings flattened on a colour
        (``Drawing.flattened``) too large to be graphics, paired with a transparent graphic: an
        emoji or icon saved as JPEG on white above ``TINY`` beside its original, whose pairs
        with each other are pairs of graphics too. A photo is paired with graphics only as
        small (``TINY``) opaque copies of itself."""
        for ends in pairs:
            drawn = [self(i) for i in ends]
            for i, a, b in zip(ends, drawn, drawn[::-1], strict=True):
                if a is None or b is None or a.flattened is None:
                    continue
                if not a.graphic and b.transparent:
                    self.copies.add(i)

    def copies_of_graphics(self, i: int, j: int) -> bool:
        """Whether images ``i`` and ``j`` were both noted as copies of graphics."""
        return i in self.copies and j in self.copies

    def __len__(self) -> int:
        return len(self.paths)

    def __call__(self, i: int) -> Drawing | None:
        """Image ``i``'s drawing (None: no file, or it cannot be read: then no check)."""
        if i not in self.read:
            path = self.paths[i]
            self.read[i] = None if path is None else drawing(path)
        return self.read[i]

    def flattened(self, i: int, backdrop: tuple[int, int, int]) -> Drawing | None:
        """Image ``i``'s drawing as flattened on ``backdrop``, to compare with a drawing that was
        (None: no file, or it cannot be read); its pixels are read once, whatever the colours
        (JPEG copies' backgrounds differ by a level or two)."""
        if (i, backdrop) not in self.backdropped:
            sample = self._sample(i)
            flat = None if sample is None else _drawing(sample, backdrop)
            self.backdropped[i, backdrop] = flat
        return self.backdropped[i, backdrop]

    def _sample(self, i: int) -> Sample | None:
        """Image ``i``'s ``Sample``, read again once for the few pairs whose checks need its
        pixels beyond its ``Drawing`` (``flattened``, ``share_near``)."""
        if i not in self.samples:
            path = self.paths[i]
            self.samples[i] = None if path is None else _sample(path)
        return self.samples[i]

    def hues(self, i: int) -> Hues | None:
        """Image ``i``'s ``Hues``, from its drawing if read (None: no file, unreadable, or a
        graphic)."""
        if i in self.read:
            found = self.read[i]
            return None if found is None else found.hues
        self.read_hues([i])
        return self.colours[i]

    def read_hues(self, indices: Iterable[int]) -> None:
        """Read the ``Hues`` of these images ahead, on ``default_workers()`` threads (Pillow
        decodes outside the GIL), so that ``hues`` finds them."""
        todo = [i for i in dict.fromkeys(indices) if i not in self.read and i not in self.colours]
        if not todo:
            return
        paths = [self.paths[i] for i in todo]
        with ThreadPoolExecutor(max_workers=default_workers()) as pool:
            found = pool.map(lambda path: None if path is None else hues(path), paths)
            self.colours.update(zip(todo, found, strict=True))

    def share_near(self, i: int, colour: np.ndarray, spread: float) -> float | None:
        """Share of image ``i``'s visible pixels within ``spread`` of ``colour`` (None: no file,
        or it cannot be read). The pixels are read again, once: only a pair with a plain image
        asks."""
        sample = self._sample(i)
        return None if sample is None else share_near(_visible(sample[1]), colour, spread)

    def may_be_graphic(self, i: int) -> bool:
        """False only when the file's header rules out a graphic (then ``graphic`` is None)."""
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
            return True  # let drawing() decide (and give up)

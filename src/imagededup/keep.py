"""Keep policies: which copy of a duplicate group to keep, from facts measured on each file.

A policy looks at the files of one group and returns the one to keep. The simple ones sort by one
fact of ``FileInfo`` (pixels, bytes, dates, name length). ``best`` measures the pixels, because
the copy with the most pixels is often the worst one: an added border, an upscale or a padded
screenshot has more pixels and no more detail. It narrows the group down signal by signal, each
time keeping the copies within a small tolerance of the best, and keeps the first survivor:

1. effective resolution: pixels without a uniform frame (border, padding) that another copy of
   the group lacks, and no more than those of a smaller copy of the same shape when the larger
   one holds no detail beyond that copy's scale (an upscale); then the copies without a frame;
2. less compression: lossless before lossy, a higher JPEG quality (estimated from the
   quantisation tables), or more bytes per pixel within a format that does not say;
3. fine detail: copies with clearly less of the top quarter of the spectrum than the group's
   median copy were resampled (rotated, upscaled, blurred) and go;
4. colour before greyscale;
5. an original-looking copy: no filled corners (a rotation), no copy marks in the name ("copy",
   "(2)", "edited", ...), camera EXIF, then the oldest date (EXIF DateTimeOriginal, else the
   modification time);
6. input order.

Every threshold was measured on real edited copies (see ``benchmarks/keep.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from imagededup.images.decode import BIG_PIXELS, DecodeError, open_image, to_rgb
from imagededup.images.info import FileInfo

InfoOf = Callable[[str], FileInfo]
"""Looks up the ``FileInfo`` of a name (read from disk or from a scan record)."""

LOSSLESS = 101.0
"""The quality given to losslessly stored images: above any JPEG quality."""
_LOSSLESS_FORMATS = frozenset({"PNG", "BMP", "PPM", "TGA", "QOI"})
_LOSSLESS_TIFF = frozenset({"raw", "tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits"})
# libjpeg's luminance table at quality 50 (Annex K of the JPEG standard): every encoder that uses
# the "quality" knob scales this table, so the ratio of sums gives the quality back
_STANDARD_LUMA_SUM = sum((
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
))  # fmt: skip
BORDER_TOLERANCE = 12
"""Grey levels a border pixel may differ from its line's median (JPEG ringing at q30 is ~8)."""
GREY_TOLERANCE = 6
"""Largest channel difference (grey levels, 99th percentile) of an image that is greyscale."""
DETAIL_WINDOW = 512
"""Side of the centre window whose spectrum measures detail (full resolution, bounded cost)."""
_EXIF_DATE_ORIGINAL, _EXIF_MAKE, _EXIF_MODEL, _EXIF_IFD = 0x9003, 0x010F, 0x0110, 0x8769
_COPY_MARK = re.compile(
    r"(copy|kopie|copie|edit(ed)?|resized?|scaled|thumb(nail)?|small|preview|screenshot"
    r"|\(\d+\)|[-_ ]\d+x\d+|~\d+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Content:
    """What a file's pixels and headers say about the detail it holds.

    ``size`` is ``(width, height)`` as displayed; ``box`` is ``(left, top, right, bottom)`` of
    the picture without its uniform outer lines; ``quality`` is a JPEG quality (1-100),
    ``LOSSLESS``, or ``None`` when unknown; ``detail`` is the spectrum profile of
    ``detail_profile``; ``date`` is EXIF DateTimeOriginal (``"YYYY:MM:DD HH:MM:SS"``) or None;
    ``wedged`` says that three corners or more are fill triangles (a rotated copy).
    """

    format: str
    size: tuple[int, int]
    box: tuple[int, int, int, int]
    quality: float | None
    grey: bool
    detail: tuple[float, ...]
    camera: bool = False
    date: str | None = None
    wedged: bool = False

    @property
    def trimmed(self) -> tuple[int, int]:
        """``(width, height)`` of ``box``."""
        return self.box[2] - self.box[0], self.box[3] - self.box[1]


ContentOf = Callable[[str], Content]
"""Looks up (measures) the ``Content`` of a name."""


UNREADABLE = Content("", (0, 0), (0, 0, 0, 0), quality=None, grey=True, detail=())
"""The content of a file that cannot be decoded: it ranks after every readable copy."""


def measure(path: str | Path) -> Content:
    """Decode ``path`` once and measure every signal of ``best`` (``UNREADABLE`` if it fails).

    Images over ``BIG_PIXELS`` are measured at a reduced scale (sizes scaled back), without a
    detail profile: they are never taken for upscales.
    """
    try:
        with Image.open(path) as header:  # before decoding: EXIF rotation drops the tables
            fmt, quality = header.format or "", stored_quality(header)
            camera, date = exif_origin(header)
        image = open_image(path)
    except (DecodeError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return UNREADABLE
    try:
        pixels_count = image.width * image.height
        factor = 1 if pixels_count <= BIG_PIXELS else math.isqrt(pixels_count // BIG_PIXELS) + 1
        rgb = to_rgb(image)
        pixels = np.asarray(rgb if factor == 1 else rgb.reduce(factor))
        rgb.close()
    except (OSError, ValueError, SyntaxError, MemoryError):
        return UNREADABLE
    finally:
        image.close()
    luma = luminance(pixels)
    left, top, right, bottom = trim_box(luma)
    return Content(
        format=fmt,
        size=(luma.shape[1] * factor, luma.shape[0] * factor),
        box=(left * factor, top * factor, right * factor, bottom * factor),
        quality=quality,
        grey=is_grey(pixels),
        detail=detail_profile(luma[top:bottom, left:right]) if factor == 1 else (),
        camera=camera,
        date=date,
        wedged=filled_corners(luma) >= 3,
    )


def luminance(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma of an ``HxWx3`` uint8 array, as float32."""
    return rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def trim_box(luma: np.ndarray, tolerance: float = BORDER_TOLERANCE) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of ``luma`` without its uniform outer lines.

    A line is uniform when 99% of its pixels lie within ``tolerance`` of its median; lines are
    peeled from each side while they are (a black frame around a white margin goes too). A
    picture that is uniform throughout keeps its full box.
    """
    height, width = luma.shape

    def uniform(lines: np.ndarray) -> np.ndarray:  # one flag per row of ``lines``
        median = np.median(lines, axis=1, keepdims=True)
        return np.mean(np.abs(lines - median) <= tolerance, axis=1) >= 0.99

    rows, cols = uniform(luma), uniform(luma.T)
    if rows.all() or cols.all():
        return 0, 0, width, height
    top = int(np.argmin(rows))
    bottom = height - int(np.argmin(rows[::-1]))
    left = int(np.argmin(cols))
    right = width - int(np.argmin(cols[::-1]))
    return left, top, right, bottom


def filled_corners(luma: np.ndarray) -> int:
    """How many corners of ``luma`` are triangles of one level, as a rotation leaves them."""
    corners = [luma, luma[:, ::-1], luma[::-1, :], luma[::-1, ::-1]]
    return sum(_is_wedge(corner) or _is_wedge(corner.T) for corner in corners)


def _is_wedge(luma: np.ndarray, tolerance: float = BORDER_TOLERANCE) -> bool:
    """Whether the top-left corner is a triangle of the corner's level: the runs of that level
    along the rows shrink steadily (by more than half a pixel a row) to nothing."""
    height, width = luma.shape
    level = float(np.median(luma[:2, :2]))
    rows = min(height, width) // 2
    other = np.abs(luma[:rows, : width // 2] - level) > tolerance
    runs = np.where(other.any(axis=1), np.argmax(other, axis=1), width // 2)
    if not 8 <= runs[0] < width // 2 or not (runs == 0).any():
        return False
    end = int(np.argmax(runs == 0))
    if end < 4:
        return False
    k = np.arange(end)
    slope, intercept = np.polyfit(k, runs[:end], 1)
    return bool(slope < -0.5 and np.median(np.abs(runs[:end] - intercept - slope * k)) <= 2)


def stored_quality(image: Image.Image) -> float | None:
    """JPEG quality (1-100) from the luminance quantisation table, ``LOSSLESS`` for lossless
    formats, ``None`` when the format does not say (WebP, HEIC, GIF, ...)."""
    if image.format in _LOSSLESS_FORMATS:
        return LOSSLESS
    if image.format == "TIFF":
        return LOSSLESS if image.info.get("compression") in _LOSSLESS_TIFF else None
    tables = getattr(image, "quantization", None)
    if image.format not in ("JPEG", "MPO") or not tables or 0 not in tables:
        return None
    scale = 100.0 * sum(tables[0]) / _STANDARD_LUMA_SUM  # libjpeg's scale factor, in percent
    return max(1.0, min(100.0, (200.0 - scale) / 2.0 if scale <= 100.0 else 5000.0 / scale))


def is_grey(rgb: np.ndarray, tolerance: float = GREY_TOLERANCE) -> bool:
    """Whether an ``HxWx3`` image has no colour: 99% of pixels have channels within
    ``tolerance`` of each other (a JPEG of a grey picture still has a little chroma noise)."""
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 65536)))  # ~65k pixels suffice
    sample = rgb[::step, ::step].astype(np.int16)
    spread = sample.max(axis=2) - sample.min(axis=2)
    return float(np.percentile(spread, 99)) <= tolerance


def detail_profile(luma: np.ndarray, bins: int = 32) -> tuple[float, ...]:
    """Share of the spectrum's energy in each of ``bins`` rings from 0 to the Nyquist frequency.

    Measured on a centre window of at most ``DETAIL_WINDOW`` pixels a side, at full resolution,
    with a Hann window so that the window's edges add no false detail.
    """
    height, width = luma.shape
    size_y, size_x = min(height, DETAIL_WINDOW), min(width, DETAIL_WINDOW)
    if size_y < 16 or size_x < 16:
        return ()
    top, left = (height - size_y) // 2, (width - size_x) // 2
    window = luma[top : top + size_y, left : left + size_x]
    window = (window - window.mean()) * np.outer(np.hanning(size_y), np.hanning(size_x))
    power = np.abs(np.fft.rfft2(window)) ** 2
    fy = np.fft.fftfreq(size_y)[:, None] * 2  # in units of the Nyquist frequency
    fx = np.fft.rfftfreq(size_x)[None, :] * 2
    radius = np.sqrt(fy**2 + fx**2)
    rings = np.minimum((radius * bins).astype(np.int64), bins)  # ring ``bins``: the corners
    energy = np.bincount(rings.ravel(), weights=power.ravel(), minlength=bins + 1)[:bins]
    total = energy.sum()
    return tuple((energy / total).tolist()) if total > 0 else ()


DETAIL_RATIO = 0.035
"""``has_detail_beyond`` threshold, measured on the dev set against each group's half-size copy:
3 of 350 originals fall below it, as do Lanczos 2x upscales (0.01-0.03) but only 10% of bicubic
ones (0.03-0.06: JPEG noise fills the empty band); ``best`` drops those for lack of fine detail."""
MAX_UPSCALE_TEST = 0.75
"""Upscales are looked for only from copies at most 3/4 the size: above that, the band beyond
the smaller copy's scale is too thin to measure (and a 90% crop has the shape of a resize)."""
FINE_DETAIL = 0.75
"""``fine_detail`` counts the spectrum above this fraction of the Nyquist frequency."""


def detail_ratio(profile: Sequence[float], scale: float) -> float:
    """Energy of ``profile`` above ``scale`` (a fraction of the Nyquist frequency) over the energy
    of the band below it: near 1 for a photo, near 0 for an upscale by ``1 / scale``. Both bands
    keep clear of ``scale`` itself, where a resampling filter rolls off."""
    bins = len(profile)
    energy = np.asarray(profile)
    above = energy[math.ceil(scale * 1.15 * bins) :].sum()
    below = energy[int(scale * 0.5 * bins) : int(scale * 0.9 * bins)].sum()
    return float(above / below) if below > 0 else 0.0


def has_detail_beyond(content: Content, scale: float) -> bool:
    """Whether the copy holds detail finer than a copy resized by ``scale`` (< 1) could.

    Without a profile (tiny or huge images), every copy counts as detailed.
    """
    return not content.detail or detail_ratio(content.detail, scale) >= DETAIL_RATIO


def fine_detail(content: Content) -> float:
    """Share of the spectrum in its top quarter: a copy that was resampled (rotated, upscaled,
    blurred) holds less of it than the picture it was made from."""
    bins = len(content.detail)
    return float(sum(content.detail[int(FINE_DETAIL * bins) :]))


def is_framed(copy: Content, other: Content, slack: int = 2) -> bool:
    """Whether ``copy`` is ``other`` with a uniform frame added (a border, padding).

    ``other`` must be smaller, and ``copy`` without its uniform lines either exactly ``other``'s
    size (the trimming stopped at the frame: padding on any side), or inside an ``other``-sized
    window at its centre and there about where ``other``'s own trimmed picture would be (an
    even border, and the trimming went on into a margin of the frame's colour: a line that is
    part frame passes as uniform a little sooner, hence 5% of leeway).
    """
    (width, height), (small_w, small_h) = copy.size, other.size
    if not (small_w <= width and small_h <= height and small_w * small_h < width * height):
        return False
    trimmed_w, trimmed_h = copy.trimmed
    if abs(trimmed_w - small_w) <= slack and abs(trimmed_h - small_h) <= slack:
        return True
    left, top = (width - small_w) // 2, (height - small_h) // 2
    window = (left, top, left + small_w, top + small_h)
    inside = all(
        (a >= b - slack) if k < 2 else (a <= b + slack)
        for k, (a, b) in enumerate(zip(copy.box, window, strict=True))
    )
    moved = (other.box[0] + left, other.box[1] + top, other.box[2] + left, other.box[3] + top)
    leeway = (slack + 0.05 * small_w, slack + 0.05 * small_h) * 2
    near = all(abs(a - b) <= c for a, b, c in zip(copy.box, moved, leeway, strict=True))
    return inside and near


def canvas(name: str, others: Sequence[str], content: ContentOf) -> tuple[int, int]:
    """The size of ``name`` without a frame that another copy in ``others`` lacks."""
    mine = content(name)
    framed = [content(other).size for other in others if is_framed(mine, content(other))]
    return min(framed, key=lambda size: size[0] * size[1], default=mine.size)


def effective_pixels(name: str, others: Sequence[str], content: ContentOf) -> int:
    """Pixels of ``name`` without an added frame, or those of the smallest copy among ``others``
    of the same shape whose scale it holds no detail beyond: then it is an upscale of it."""
    width, height = canvas(name, others, content)
    best = width * height
    mine = content(name)
    for other in others:
        small_w, small_h = canvas(other, others, content)
        same_shape = abs(small_w * height - small_h * width) <= 0.02 * width * height
        scale = math.sqrt(small_w * small_h / max(1, width * height))
        if same_shape and scale <= MAX_UPSCALE_TEST and not has_detail_beyond(mine, scale):
            best = min(best, small_w * small_h)
    return best


def copy_marks(name: str) -> int:
    """How many marks of a copy the file name (not its folders) carries: "copy", "(2)",
    "edited", "resized", "thumb", "-800x600", ..."""
    return len(_COPY_MARK.findall(Path(name).stem))


def exif_origin(image: Image.Image) -> tuple[bool, str | None]:
    """Whether EXIF names a camera, and its DateTimeOriginal if any."""
    try:
        exif = image.getexif()
        camera = bool(exif.get(_EXIF_MAKE) or exif.get(_EXIF_MODEL))
        date = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATE_ORIGINAL)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        return False, None
    return camera, date if isinstance(date, str) and date.strip("\0 :") else None


RESOLUTION_TOLERANCE = 0.03
"""Copies within 3% of the most effective pixels tie."""
QUALITY_TOLERANCE = 2.0
"""JPEG qualities within 2 of the best tie (estimates of custom tables are that close)."""
BYTES_TOLERANCE = 0.03
"""Bytes per pixel within 3% of the best of the same format tie."""
DETAIL_TOLERANCE = 0.10
"""Copies with 10% less fine detail than the group's median copy were resampled (a 5 degree
rotation loses ~20%; a mirror image, a caption or a re-save at the same quality ~0%)."""


def _near_best(scores: Mapping[int, float], tolerance: float, relative: bool) -> set[int]:
    top = max(scores.values())
    margin = abs(top) * tolerance if relative else tolerance
    return {i for i, value in scores.items() if value >= top - margin}


def choose_best(files: Sequence[str], info: InfoOf, content: ContentOf) -> int:
    """The index of the copy ``best`` keeps (see the module's docstring)."""
    pixels = {i: effective_pixels(name, files, content) for i, name in enumerate(files)}
    alive = _near_best(pixels, RESOLUTION_TOLERANCE, relative=True)
    unframed = {i for i in alive if canvas(files[i], files, content) == content(files[i]).size}
    alive = unframed or alive
    alive = _least_compressed(files, alive, info, content)
    detail = {i: fine_detail(content(files[i])) for i in alive}
    typical = sorted(detail.values())[len(detail) // 2]  # the upper median
    alive = {i for i in alive if detail[i] >= (1 - DETAIL_TOLERANCE) * typical}
    colour = {i for i in alive if not content(files[i]).grey}
    alive = colour or alive
    unrotated = {i for i in alive if not content(files[i]).wedged}
    alive = unrotated or alive
    marks = {i: -copy_marks(files[i]) for i in alive}
    alive = _near_best(marks, 0, relative=False)
    camera = {i for i in alive if content(files[i]).camera}
    alive = camera or alive
    return min(alive, key=lambda i: (_date(files[i], info, content), i))


def _least_compressed(
    files: Sequence[str], alive: set[int], info: InfoOf, content: ContentOf
) -> set[int]:
    """Lossless before lossy, then the highest JPEG quality; for formats whose headers do not
    tell the quality, the most bytes per pixel within that format."""
    known = {i: content(files[i]).quality for i in alive}
    rated = {i: q for i, q in known.items() if q is not None}
    if rated:
        alive = _near_best(rated, QUALITY_TOLERANCE, relative=False) | (alive - set(rated))
    survivors = {i for i in alive if known[i] is not None}
    for fmt in {content(files[i]).format for i in alive - survivors}:
        same = [i for i in alive - survivors if content(files[i]).format == fmt]
        density = {i: info(files[i]).size / max(1, info(files[i]).pixels) for i in same}
        survivors |= _near_best(density, BYTES_TOLERANCE, relative=True)
    return survivors


def _date(name: str, info: InfoOf, content: ContentOf) -> tuple[str, float]:
    """Sort key of a copy's age: EXIF DateTimeOriginal first (absent sorts last), then mtime."""
    return (content(name).date or "~", info(name).mtime)


def _key(rank: Callable[[str, InfoOf], tuple]) -> Callable[[Sequence[str], InfoOf, ContentOf], int]:
    """A policy that keeps the file with the smallest ``rank``, the earliest on ties."""

    def choose(files: Sequence[str], info: InfoOf, content: ContentOf) -> int:
        return min(range(len(files)), key=lambda i: (rank(files[i], info), i))

    return choose


def _largest_resolution(name: str, info: InfoOf) -> tuple:
    facts = info(name)
    return (-facts.pixels, -facts.size)


def _largest_file(name: str, info: InfoOf) -> tuple:
    facts = info(name)
    return (-facts.size, -facts.pixels)


Policy = Callable[[Sequence[str], InfoOf, ContentOf], int]
"""Files of a group, their facts and their measured content -> the index of the file to keep."""

KEEP_POLICIES: dict[str, Policy] = {
    "best": choose_best,  # most real detail, least compression, colour, original-looking
    "first": _key(lambda name, info: ()),  # first in input order: the API's default, as in 0.3.3
    "largest-resolution": _key(_largest_resolution),  # most pixels, then largest file
    "largest-file": _key(_largest_file),  # most bytes, then most pixels
    "oldest": _key(lambda name, info: (info(name).mtime,)),  # earliest modification time
    "newest": _key(lambda name, info: (-info(name).mtime,)),  # latest modification time
    "shortest-path": _key(lambda name, info: (len(name),)),  # fewest characters in the name
}
"""Keep policy name -> the policy; every one breaks ties by input order."""

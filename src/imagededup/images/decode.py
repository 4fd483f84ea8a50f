"""Decode any image file or array into the RGB pixels that every method works on.

One decoder serves every method, so a CNN and a hash see the same picture: EXIF orientation is
applied, transparency is composited on white, grey, palette, CMYK and 16-bit images become 8-bit
RGB, animations give their first frame. JPEGs much larger than the wanted size are decoded at a
reduced DCT scale (draft mode), which is several times faster and uses a fraction of the memory.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from imagededup.images.views import View, Window, centre, view_parts, window

try:  # HEIC/HEIF photos (iPhones) with the optional extra: pip install "imagededup[heif]"
    from pillow_heif import register_heif_opener
except ImportError:
    pass
else:
    register_heif_opener()

DECODER_VERSION = 4
"""Bumped whenever decoding changes the pixels a model sees, which invalidates cached vectors."""
_RESAMPLE = Image.Resampling.BILINEAR
_ORIENTATION_TAG = 0x0112
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
BIG_PIXELS = 16_000_000
"""Images over this many pixels (after draft scaling) are decoded one at a time, whatever the
number of decoding threads: each holds hundreds of MB until it is reduced."""
_big_decode = threading.Lock()
_REDUCIBLE_MODES = frozenset({"L", "LA", "RGB", "RGBA", "I", "F", "CMYK"})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_HIGH_DEPTH_MODES = frozenset({"I", "F", "I;16", "I;16B", "I;16L", "I;16N"})


class DecodeError(Exception):
    """A file that cannot be turned into pixels; the message is the reason shown to the user."""


def max_pixels() -> int | None:
    """Largest image (in pixels, after draft scaling) that is decoded: Pillow's bomb limit."""
    return Image.MAX_IMAGE_PIXELS


def load_image(source: str | os.PathLike[str] | np.ndarray, size: int | None = None) -> np.ndarray:
    """Decode ``source`` (a path or a uint8 array) to an ``HxWx3`` uint8 RGB array.

    With ``size``, the result is squashed to ``size x size`` (the input of the CNN models); JPEGs
    are then drafted to no less than that size before decoding. Raises ``DecodeError``.
    """
    if size is not None:
        return load_views(source, size)[0]
    rgb = load_rgb(source)
    try:
        return np.asarray(rgb, dtype=np.uint8)
    finally:
        rgb.close()


def load_views(
    source: str | os.PathLike[str] | np.ndarray,
    size: int,
    angles: tuple[View, ...] = (),
    view_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The image squashed to ``size x size``, and views of that (see ``views``) at ``view_size``.

    Returns ``(image, views)``: ``size x size x 3`` and ``len(angles) x view_size x view_size x
    3`` uint8. Views (centre crops, rotations) are cut from the squashed image, then rotated
    and resized in the same step. JPEGs are drafted to no less than ``size``.
    """
    view_size = view_size or size
    with _squashed(source, size) as image:
        views = np.empty((len(angles), view_size, view_size, 3), np.uint8)
        for k, angle in enumerate(angles):
            turn, keep = view_parts(angle)
            views[k] = np.asarray(_rotated(centre(image, keep), turn, view_size))
        return np.asarray(image, dtype=np.uint8), views


def load_windows(
    source: str | os.PathLike[str] | np.ndarray,
    size: int,
    windows: Sequence[Window],
    window_size: int,
) -> np.ndarray:
    """``windows`` (``(keep, place)``, see ``views.window``) of the image squashed to ``size x
    size``, as views are cut, each resized to ``window_size``: ``len(windows) x window_size x
    window_size x 3`` uint8. Raises ``DecodeError``."""
    square = (window_size, window_size)
    with _squashed(source, size) as image:
        cut = [window(image, keep, place).resize(square, _RESAMPLE) for keep, place in windows]
        return np.stack([np.asarray(part, dtype=np.uint8) for part in cut])


@contextmanager
def _squashed(source: str | os.PathLike[str] | np.ndarray, size: int) -> Iterator[Image.Image]:
    """The image squashed to ``size x size``, for the caller to cut views or windows from;
    any failure, decoding or cutting, raised as ``DecodeError``."""
    rgb = load_rgb(source, (size + 1) // 2, squashed=True)  # drafts to twice what it is given
    try:
        yield _resized(rgb, size)
    except (OSError, ValueError, SyntaxError, MemoryError) as exc:
        raise DecodeError(f"cannot decode image: {exc}") from exc
    finally:
        rgb.close()


def _resized(image: Image.Image, size: int) -> Image.Image:
    return image if image.size == (size, size) else image.resize((size, size), _RESAMPLE)


def _rotated(square: Image.Image, angle: float, size: int) -> Image.Image:
    """``square`` rotated ``angle`` degrees counter-clockwise about its centre (black corners, as
    ``Image.rotate``) and scaled to ``size x size`` in one affine transform: 3x faster than
    rotating then resizing, within 2 grey levels of it on average."""
    turn = math.radians(angle)
    cos, sin = math.cos(turn), math.sin(turn)
    scale, centre = square.width / size, square.width / 2
    matrix = (  # output pixel -> input pixel
        scale * cos,
        -scale * sin,
        centre * (1 - cos + sin),
        scale * sin,
        scale * cos,
        centre * (1 - sin - cos),
    )
    return square.transform((size, size), Image.Transform.AFFINE, matrix, _RESAMPLE)


def load_rgb(
    source: str | os.PathLike[str] | np.ndarray, size: int | None = None, squashed: bool = False
) -> Image.Image:
    """Decode ``source`` (a path or a uint8 array) to an RGB Pillow image, for callers that resize.

    ``size`` is the largest size the caller will resize to: JPEGs are drafted to no less than twice
    that before decoding (see ``open_image`` for ``squashed``). The caller closes the image.
    Raises ``DecodeError``.
    """
    if isinstance(source, np.ndarray):
        image = image_from_array(source)
    else:
        image = open_image(source, size, squashed)
    try:
        rgb = to_rgb(image)
    except (OSError, ValueError, SyntaxError, MemoryError) as exc:
        image.close()
        raise DecodeError(f"cannot decode image: {exc}") from exc
    if rgb is not image:
        image.close()
    return rgb


def open_image(
    path: str | os.PathLike[str], size: int | None = None, squashed: bool = False
) -> Image.Image:
    """Open and decode ``path``, reduced towards ``2*size``, with EXIF orientation applied.

    The pixel count is checked against the bomb limit before anything is decoded. A JPEG is
    drafted (decoded at 1/2 to 1/8 scale) to at least ``2*size`` on both sides; with
    ``squashed`` (the caller squashes it to a square), only its longer side needs ``2*size``
    and the shorter keeps its proportion, at least ``size`` (15% faster decoding for the CNN,
    F1 unchanged). Any other image over ``BIG_PIXELS`` is decoded alone (see ``BIG_PIXELS``)
    and shrunk by an integer factor right away, never below twice ``2*size``, so its full-size
    buffer is freed before colour conversion.
    """
    image = open_lazily(Path(path))
    try:
        if size is not None and image.format in ("JPEG", "MPO"):
            image.draft("RGB", _draft_request(image.size, size, squashed))
        limit = max_pixels()
        if limit is not None and image.width * image.height > limit:
            raise DecodeError(
                f"too large to decode safely ({image.width}x{image.height} pixels, limit {limit};"
                " raise PIL.Image.MAX_IMAGE_PIXELS to allow it)"
            )
        if image.width * image.height > BIG_PIXELS:
            with _big_decode:
                image = _reduced(image, size)
        else:
            image.load()
        if image.getexif().get(_ORIENTATION_TAG, 1) != 1:
            image = ImageOps.exif_transpose(image)
    except DecodeError:
        image.close()
        raise
    except (OSError, ValueError, SyntaxError, MemoryError) as exc:
        image.close()
        raise DecodeError(f"cannot decode image: {exc}") from exc
    return image


def _draft_request(shape: tuple[int, int], size: int, squashed: bool) -> tuple[int, int]:
    """The smallest size a JPEG of ``shape`` may be drafted to (see ``open_image``)."""
    if not squashed:
        return (2 * size, 2 * size)
    width, height = shape
    if width >= height:
        return (2 * size, max(size, round(2 * size * height / width)))
    return (max(size, round(2 * size * width / height)), 2 * size)


def _reduced(image: Image.Image, size: int | None) -> Image.Image:
    """``image`` decoded, then shrunk by the largest integer factor keeping both sides >= 4*size."""
    image.load()
    factor = 1 if size is None else min(image.size) // (4 * size)
    if factor < 2 or image.mode not in _REDUCIBLE_MODES:
        return image
    small = image.reduce(factor)
    small.info, small.format = image.info, image.format  # keep EXIF orientation
    image.close()
    return small


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(width, height)`` as displayed (EXIF orientation applied), read from the header only."""
    with open_lazily(Path(path)) as image:
        try:
            orientation = image.getexif().get(_ORIENTATION_TAG, 1)
        except (OSError, ValueError, SyntaxError) as exc:
            raise DecodeError(f"cannot read image header: {exc}") from exc
        width, height = image.size
    return (height, width) if orientation in _TRANSPOSED_ORIENTATIONS else (width, height)


def open_lazily(path: Path) -> Image.Image:
    """``Image.open`` (header only), with every failure turned into a ``DecodeError`` reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise DecodeError(f"too large to decode safely ({exc})") from exc
    except FileNotFoundError as exc:
        raise DecodeError("file not found (deleted or moved after listing?)") from exc
    except IsADirectoryError as exc:
        raise DecodeError("is a directory") from exc
    except PermissionError as exc:
        raise DecodeError("permission denied") from exc
    except Image.UnidentifiedImageError as exc:
        reason = "empty file" if _is_empty(path) else "not an image or unsupported format"
        raise DecodeError(reason) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise DecodeError(f"cannot open image: {exc}") from exc


def image_from_array(array: np.ndarray) -> Image.Image:
    """Wrap an ``HxW``, ``HxWx3`` or ``HxWx4`` uint8 array as a Pillow image."""
    if array.dtype != np.uint8:
        raise ValueError(f"image_array must have dtype uint8, got {array.dtype}")
    if array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4)):
        if array.shape[0] == 0 or array.shape[1] == 0:
            raise ValueError(f"image_array is empty (shape {array.shape})")
        return Image.fromarray(np.ascontiguousarray(array))
    raise ValueError(f"image_array must have shape HxW, HxWx3 or HxWx4, got {array.shape}")


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB, compositing transparency on white."""
    if image.mode in _HIGH_DEPTH_MODES:
        image = _to_8bit(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    elif image.mode == "P":
        image = image.convert("RGB")
    if image.mode in _ALPHA_MODES:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba)  # the same pixels as alpha_composite, with 2 buffers, not 4
        return white
    return image if image.mode == "RGB" else image.convert("RGB")


def _to_8bit(image: Image.Image) -> Image.Image:
    """Scale a 16-bit or float grey image to 8 bits instead of clipping it as Pillow does."""
    values = np.asarray(image, dtype=np.float64)
    top = values.max() if values.size else 0.0
    scale = 1.0 if top <= 255 else (257.0 if top <= 65535 else 255.0 / top)
    return Image.fromarray(np.clip(values / scale, 0, 255).astype(np.uint8), mode="L")


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False

"""Argument checks shared by the public methods, with errors that say what is accepted."""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from imagededup.vectors import normalize


def check_similarity_threshold(value: object) -> float:
    """A cosine-similarity threshold: a real number in [-1, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"min_similarity_threshold must be a number between -1.0 and 1.0, got {value!r}"
        )
    if not -1.0 <= float(value) <= 1.0:
        raise ValueError(
            "min_similarity_threshold must be between -1.0 and 1.0 (a cosine similarity),"
            f" got {value}"
        )
    return float(value)


def check_distance_threshold(value: object, bits: int) -> int:
    """A Hamming-distance threshold: an integer from 0 to ``bits`` (the hash length)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"max_distance_threshold must be an integer between 0 and {bits}, got {value!r}"
        )
    if not 0 <= int(value) <= bits:
        raise ValueError(
            f"max_distance_threshold must be between 0 and {bits} (bits that may differ in a"
            f" {bits}-bit hash), got {value}"
        )
    return int(value)


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type where imagededup 0.3.3 raised ``ValueError``."""


class FolderNotFoundError(FileNotFoundError, ValueError):
    """``image_dir`` does not exist (a ``ValueError`` too, as imagededup 0.3.3 raised)."""


class NotAFolderError(NotADirectoryError, ValueError):
    """``image_dir`` is not a folder (a ``ValueError`` too, as imagededup 0.3.3 raised)."""


def check_folder(image_dir: object) -> Path:
    """``image_dir`` as a ``Path`` to an existing folder."""
    if not isinstance(image_dir, str | os.PathLike):
        raise ArgumentTypeError(f"image_dir must be a path, got {type(image_dir)}")
    path = Path(image_dir)
    if not path.exists():
        raise FolderNotFoundError(f"image_dir does not exist: {path}")
    if not path.is_dir():
        raise NotAFolderError(f"image_dir is not a directory: {path}")
    return path


def check_one_image(image_file: object, image_array: object) -> Path | np.ndarray:
    """The image to encode: an existing file, or an ``HxW``, ``HxWx3`` or ``HxWx4`` array.

    Arrays of another dtype are cast to uint8 as imagededup 0.3.3 did (``astype``, no scaling).
    """
    if (image_file is None) == (image_array is None):
        raise ValueError("pass exactly one of image_file or image_array")
    if image_array is None:
        if not isinstance(image_file, str | os.PathLike) or not Path(image_file).is_file():
            raise ValueError(f"image_file is not a file: {image_file!r}")
        return Path(image_file)
    if not isinstance(image_array, np.ndarray):
        raise ValueError(f"image_array must be a numpy array, got {type(image_array)}")
    shape = image_array.shape
    if not (len(shape) == 2 or (len(shape) == 3 and shape[2] in (3, 4))) or 0 in shape:
        raise ValueError(f"image_array must have shape HxW, HxWx3 or HxWx4, got {shape}")
    return image_array.astype(np.uint8, copy=False)


def check_one_source(image_dir: object, encoding_map: object) -> None:
    """Exactly one of ``image_dir`` and ``encoding_map`` must be given."""
    if (image_dir is None) == (encoding_map is None):
        raise ValueError("pass exactly one of image_dir or encoding_map")


def stack_encoding_map(encoding_map: Mapping[str, object]) -> tuple[list[str], np.ndarray]:
    """Names and unit-length float32 matrix from ``{name: vector}``: lists or arrays of shape
    ``(D,)`` (``encode_images``) or ``(1, D)`` (``encode_image``)."""
    if not isinstance(encoding_map, Mapping):
        raise TypeError(f"encoding_map must be a dict of name -> vector, got {type(encoding_map)}")
    names = list(encoding_map)
    if not names:
        return names, np.empty((0, 0), np.float32)
    rows = [np.asarray(encoding_map[name], dtype=np.float32).ravel() for name in names]
    dims = {len(row) for row in rows}
    if len(dims) != 1:
        raise ValueError(f"encoding_map vectors must all have the same length, got {sorted(dims)}")
    return names, normalize(np.stack(rows), in_place=True)


def check_positive_int(name: str, value: object, allow_none: bool = False) -> None:
    """``value`` is a positive integer (or ``None`` when ``allow_none``); else ``ValueError``."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        wanted = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name} must be {wanted}, got {value!r}")


REMOVED_KEYWORDS = frozenset({"search_method", "num_dist_workers", "num_sim_workers"})
"""Keywords of imagededup 0.3.3 that choose how it searched; the search here needs none."""


def accept_removed(removed: Mapping[str, object], function: str) -> None:
    """Warn that 0.3.3's search keywords are ignored; ``TypeError`` for any other keyword."""
    for name in removed:
        if name not in REMOVED_KEYWORDS:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")
        warn(
            f"{name} is ignored: it chose imagededup 0.3.3's search, which is gone",
            DeprecationWarning,
        )


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def warn(message: str, category: type[Warning]) -> None:
    """Warn from the caller's code, the first frame outside this package, so that Python's
    default filters show a ``DeprecationWarning`` raised by a call in a user's script."""
    warnings.warn(message, category, skip_file_prefixes=(_PACKAGE,))

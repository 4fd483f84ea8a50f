"""Argument checks shared by the public methods, with errors that say what is accepted."""

from __future__ import annotations

import numbers

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


def check_one_image(image_file: object, image_array: object) -> object:
    """The image to encode: exactly one of a file path and a numpy array must be given."""
    if (image_file is None) == (image_array is None):
        raise ValueError("pass exactly one of image_file or image_array")
    if image_array is not None and not isinstance(image_array, np.ndarray):
        raise ValueError(f"image_array must be a numpy array, got {type(image_array)}")
    return image_file if image_array is None else image_array


def check_one_source(image_dir: object, encoding_map: object) -> None:
    """Exactly one of ``image_dir`` and ``encoding_map`` must be given."""
    if (image_dir is None) == (encoding_map is None):
        raise ValueError("pass exactly one of image_dir or encoding_map")


def stack_encoding_map(encoding_map: dict[str, object]) -> tuple[list[str], np.ndarray]:
    """Names and unit-length float32 matrix from ``{name: vector}`` (lists or arrays)."""
    if not isinstance(encoding_map, dict):
        raise TypeError(f"encoding_map must be a dict of name -> vector, got {type(encoding_map)}")
    names = list(encoding_map)
    if not names:
        return names, np.empty((0, 0), np.float32)
    rows = [np.asarray(encoding_map[name], dtype=np.float32).ravel() for name in names]
    dims = {len(row) for row in rows}
    if len(dims) != 1:
        raise ValueError(f"encoding_map vectors must all have the same length, got {sorted(dims)}")
    return names, normalize(np.stack(rows), in_place=True)

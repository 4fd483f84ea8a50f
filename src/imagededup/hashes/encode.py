"""Files or arrays -> packed hashes: decode and reduce in threads, then hash each batch in NumPy.

With ``dihedral``, an image also gives the hashes of its 7 flipped and rotated versions, made by
flipping and transposing its reduced grey array, so the resize runs once (twice for a non-square
input such as dHash's 8x9: the quarter turns start from a 9x8 resize).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial

import numpy as np

from imagededup.features import Encoded, encode_batches
from imagededup.hashes.algorithms import HashAlgorithm
from imagededup.hashes.decode import load_hash_rgb

DIHEDRAL = 8
"""Versions of an image hashed with ``dihedral``: 4 rotations, each also mirrored."""


def hash_files(
    algorithm: HashAlgorithm,
    paths: Sequence[str | os.PathLike[str]],
    draft_size: int | None,
    upright: bool = False,
    dihedral: bool = False,
    batch_size: int = 64,
    num_workers: int | None = None,
    progress: bool = False,
) -> Encoded:
    """Codes (``N x bytes``, or ``N x 8 x bytes`` with ``dihedral``) of the files that decode.

    ``draft_size`` and ``upright`` as in ``load_hash_rgb`` (default: imagededup 0.3.3's pixels).
    """
    reduce = partial(
        reduce_image, algorithm, draft_size=draft_size, upright=upright, dihedral=dihedral
    )
    pack = partial(pack_reduced, algorithm)
    return encode_batches(paths, reduce, pack, batch_size, num_workers, progress)


def hash_image(
    algorithm: HashAlgorithm,
    source: str | os.PathLike[str] | np.ndarray,
    draft_size: int | None = None,
    upright: bool = False,
) -> np.ndarray:
    """Code (``bytes`` uint8) of one file or uint8 array."""
    return pack_reduced(algorithm, reduce_image(algorithm, source, draft_size, upright)[None])[0]


def reduce_image(
    algorithm: HashAlgorithm,
    source: str | os.PathLike[str] | np.ndarray,
    draft_size: int | None = None,
    upright: bool = False,
    dihedral: bool = False,
) -> np.ndarray:
    """Decode ``source`` and reduce it to the algorithm's grey array (``8 x`` with ``dihedral``)."""
    image = load_hash_rgb(source, draft_size, upright)
    try:
        reduced = algorithm.reduce(image, algorithm.shape)
        if not dihedral:
            return reduced
        rows, cols = algorithm.shape
        sideways = reduced if rows == cols else algorithm.reduce(image, (cols, rows))
        return dihedral_versions(reduced, sideways)
    finally:
        image.close()


def dihedral_versions(upright: np.ndarray, sideways: np.ndarray) -> np.ndarray:
    """The 8 flips and quarter turns of an image, from its ``rows x cols`` and ``cols x rows``
    reductions; the first is ``upright`` itself."""
    return np.stack(
        [
            upright,
            upright[:, ::-1],
            upright[::-1, :],
            upright[::-1, ::-1],
            np.rot90(sideways, 1),
            np.rot90(sideways, -1),
            sideways.T,
            sideways[::-1, ::-1].T,
        ]
    )


def pack_reduced(algorithm: HashAlgorithm, reduced: np.ndarray) -> np.ndarray:
    """Codes of a stack of reduced arrays, keeping any leading axes (``N`` or ``N x 8``)."""
    leading = reduced.shape[:-2]
    codes = algorithm.pack(reduced.reshape(-1, *reduced.shape[-2:]))
    return codes.reshape(*leading, codes.shape[-1])

"""Decoded pixels -> feature vectors or hashes: run an encoder over many files, batch by batch."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from tqdm.auto import tqdm

from imagededup.images.decode import load_image
from imagededup.images.loader import iter_batches
from imagededup.models.onnx import OnnxEncoder

logger = logging.getLogger("imagededup")


@dataclass
class Encoded:
    """Rows (features or packed hashes) of the files that decoded, reasons for the rest.

    ``indices`` and the keys of ``failures`` are positions in the input.
    """

    indices: list[int] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.float32))
    failures: dict[int, str] = field(default_factory=dict)


def encode_files(
    encoder: OnnxEncoder,
    paths: Sequence[str | os.PathLike[str]],
    batch_size: int = 64,
    num_workers: int | None = None,
    progress: bool = False,
) -> Encoded:
    """Decode ``paths`` in parallel threads and embed them; decoding overlaps inference."""
    decode = partial(load_image, size=encoder.input_size)
    return encode_batches(paths, decode, encoder.encode, batch_size, num_workers, progress)


def encode_batches[T](
    paths: Sequence[str | os.PathLike[str]],
    decode: Callable[[str | os.PathLike[str]], T],
    encode: Callable[[np.ndarray], np.ndarray],
    batch_size: int,
    num_workers: int | None = None,
    progress: bool = False,
) -> Encoded:
    """``encode`` stacked batches of ``decode(path)``; failures are logged once and kept by index.

    ``decode`` runs in parallel threads (see ``iter_batches``), ``encode`` in the calling thread.
    """
    result = Encoded()
    chunks: list[np.ndarray] = []
    with tqdm(total=len(paths), disable=not progress, unit="img", desc="Encoding") as bar:
        for batch in iter_batches(paths, decode, batch_size, num_workers):
            if batch.items:
                chunks.append(encode(np.stack(batch.items)))
                result.indices.extend(batch.indices)
            for index, reason in batch.failures:
                logger.warning("Skipping %s: %s", os.fspath(paths[index]), reason)
                result.failures[index] = reason
            bar.update(len(batch.indices) + len(batch.failures))
    if chunks:
        result.vectors = np.concatenate(chunks)
    return result

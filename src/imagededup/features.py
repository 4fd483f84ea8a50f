"""Decoded pixels -> feature vectors: run an encoder over many files, batch by batch."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
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
    """Vectors for the files that decoded (``indices`` into the input) and reasons for the rest."""

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
    result = Encoded()
    chunks: list[np.ndarray] = []
    with tqdm(total=len(paths), disable=not progress, unit="img", desc="Encoding") as bar:
        for batch in iter_batches(paths, decode, batch_size, num_workers):
            if batch.items:
                chunks.append(encoder.encode(np.stack(batch.items)))
                result.indices.extend(batch.indices)
            for index, reason in batch.failures:
                logger.warning("Skipping %s: %s", os.fspath(paths[index]), reason)
                result.failures[index] = reason
            bar.update(len(batch.indices) + len(batch.failures))
    if chunks:
        result.vectors = np.concatenate(chunks)
    return result

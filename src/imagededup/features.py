"""Decoded pixels -> feature vectors: run an encoder over many files, batch by batch.

Memory stays flat whatever the number of files: pixels live only for the batches in flight and
vectors go straight into one preallocated matrix. With a store, cached vectors are reused and
every new batch is written as soon as it is encoded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from imagededup.images.loader import iter_batches
from imagededup.models.onnx import OnnxEncoder
from imagededup.store import EmbeddingStore, file_key

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
    store: EmbeddingStore | None = None,
) -> Encoded:
    """Decode ``paths`` in parallel threads and embed them; decoding overlaps inference."""
    keys = [file_key(path) for path in paths] if store is not None else []
    cached = store.get(keys) if store is not None else {}
    todo = [i for i in range(len(paths)) if i not in cached]
    matrix = _Matrix(len(paths))
    for i, vector in cached.items():
        matrix.set([i], vector[None])
    failures: dict[int, str] = {}
    decode = encoder.prepare
    with tqdm(total=len(paths), disable=not progress, unit="img", desc="Encoding") as bar:
        bar.update(len(cached))
        for batch in iter_batches([paths[i] for i in todo], decode, batch_size, num_workers):
            if batch.items:
                done = [todo[k] for k in batch.indices]
                vectors = encoder.encode(np.stack(batch.items))
                matrix.set(done, vectors)
                if store is not None:
                    done_keys = [
                        (keys[i], v) for i, v in zip(done, vectors, strict=True) if keys[i]
                    ]
                    store.put([k for k, _ in done_keys], [v for _, v in done_keys])
            for k, reason in batch.failures:
                logger.warning("Skipping %s: %s", os.fspath(paths[todo[k]]), reason)
                failures[todo[k]] = reason
            bar.update(len(batch.indices) + len(batch.failures))
    indices = np.flatnonzero(matrix.filled)
    return Encoded(indices.tolist(), matrix.rows(indices), failures)


class _Matrix:
    """Rows of vectors for ``count`` inputs, allocated once the vector length is known."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.filled = np.zeros(count, dtype=bool)
        self.data: np.ndarray | None = None

    def set(self, rows: list[int], vectors: np.ndarray) -> None:
        if self.data is None:
            self.data = np.empty((self.count, vectors.shape[1]), dtype=np.float32)
        self.data[rows] = vectors
        self.filled[rows] = True

    def rows(self, indices: np.ndarray) -> np.ndarray:
        if self.data is None:
            return np.empty((0, 0), np.float32)
        return self.data if len(indices) == self.count else self.data[indices]

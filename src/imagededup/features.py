"""Decoded pixels -> feature vectors or hashes: run an encoder over many files, batch by batch.

Memory stays flat whatever the number of files: pixels live only for the batches in flight and
results go straight into one preallocated array. With a store, cached vectors are reused and
every new batch is written as soon as it is encoded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from imagededup.images.loader import iter_processed
from imagededup.store import EmbeddingStore, cache_key

if TYPE_CHECKING:  # a type only: hashing runs these batches without loading a model runtime
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
    store: EmbeddingStore | None = None,
) -> Encoded:
    """Decode and embed ``paths``, a batch per thread, one thread per core by default.

    With ``store``, files it already holds are not decoded, and each new batch is saved to it.
    """
    keys = [cache_key(path) for path in paths] if store is not None else []

    def save(indices: list[int], vectors: np.ndarray) -> None:
        assert store is not None
        known = [(key, v) for i, v in zip(indices, vectors, strict=True) if (key := keys[i])]
        store.put([key for key, _ in known], [v for _, v in known])

    return encode_batches(
        paths,
        encoder.prepare,
        encoder.encode,
        batch_size,
        num_workers,
        progress,
        known=store.get(keys) if store is not None else None,
        on_batch=save if store is not None else None,
        collate=encoder.collate,
    )


def stack(items: Sequence[Any]) -> np.ndarray:
    """Decoded arrays of one batch as one array (the default ``collate``)."""
    return np.stack(items)


def encode_batches[T](
    paths: Sequence[str | os.PathLike[str]],
    decode: Callable[[str | os.PathLike[str]], T],
    encode: Callable[[Any], np.ndarray],
    batch_size: int,
    num_workers: int | None = None,
    progress: bool = False,
    known: dict[int, np.ndarray] | None = None,
    on_batch: Callable[[list[int], np.ndarray], None] | None = None,
    collate: Callable[[list[T]], Any] = stack,
) -> Encoded:
    """``encode`` stacked batches of ``decode(path)``; failures are logged once and kept by index.

    Each batch is decoded and encoded in one of ``num_workers`` threads (see ``iter_processed``).
    ``known`` results (by index) are used as they are; ``on_batch`` sees each new batch;
    ``collate`` turns a batch's decoded items into ``encode``'s input.
    """
    known = known or {}
    todo = [i for i in range(len(paths)) if i not in known]
    rows = _Rows(len(paths))
    for i, row in known.items():
        rows.set([i], row[None])
    failures: dict[int, str] = {}

    def embed(items: list[T]) -> np.ndarray:
        return encode(collate(items))

    with tqdm(total=len(paths), disable=not progress, unit="img", desc="Encoding") as bar:
        bar.update(len(known))
        work = iter_processed([paths[i] for i in todo], decode, embed, batch_size, num_workers)
        for batch in work:
            if batch.result is not None:
                done = [todo[k] for k in batch.indices]
                rows.set(done, batch.result)
                if on_batch is not None:
                    on_batch(done, batch.result)
            for k, reason in batch.failures:
                logger.warning("Skipping %s: %s", os.fspath(paths[todo[k]]), reason)
                failures[todo[k]] = reason
            bar.update(len(batch.indices) + len(batch.failures))
    indices = np.flatnonzero(rows.filled)
    return Encoded(indices.tolist(), rows.take(indices), failures)


class _Rows:
    """One result row per input, allocated once the first row shows its shape and type."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.filled = np.zeros(count, dtype=bool)
        self.data: np.ndarray | None = None

    def set(self, indices: list[int], rows: np.ndarray) -> None:
        if self.data is None:
            self.data = np.empty((self.count, *rows.shape[1:]), dtype=rows.dtype)
        self.data[indices] = rows
        self.filled[indices] = True

    def take(self, indices: np.ndarray) -> np.ndarray:
        """The rows at ``indices`` (ascending), moved to the front in place: no second copy."""
        if self.data is None:
            return np.empty((0, 0), np.float32)
        if len(indices) == self.count:
            return self.data
        for start in range(0, len(indices), 4096):
            chunk = indices[start : start + 4096]
            self.data[start : start + len(chunk)] = self.data[chunk]
        return self.data[: len(indices)]

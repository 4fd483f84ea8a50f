"""Decode many files in parallel threads and hand them out in batches, in file order.

Pillow releases the GIL while decoding, so threads scale across cores; decoding runs ahead of the
consumer by a bounded window, which overlaps it with inference and keeps memory flat whatever the
number of files.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from imagededup.images.decode import DecodeError


@dataclass
class Batch[T]:
    """Decoded items of one batch, their positions in the input, and the positions that failed."""

    indices: list[int] = field(default_factory=list)
    items: list[T] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)


def default_workers() -> int:
    """Decoding threads to use when the caller does not say: one per core."""
    return max(1, os.cpu_count() or 1)


def iter_batches[T](
    paths: Sequence[str | os.PathLike[str]],
    decode: Callable[[str | os.PathLike[str]], T],
    batch_size: int,
    num_workers: int | None = None,
) -> Iterator[Batch[T]]:
    """Yield batches of ``decode(path)`` results; an exception becomes a failure with its reason.

    At most ``2 * batch_size`` decoded items are held at any time.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    workers = num_workers or default_workers()
    window = 2 * batch_size
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imagededup-decode") as pool:
        pending: deque[tuple[int, Future[T]]] = deque()
        submitted = 0

        def refill() -> None:
            nonlocal submitted
            while submitted < len(paths) and len(pending) < window:
                pending.append((submitted, pool.submit(decode, paths[submitted])))
                submitted += 1

        refill()
        batch: Batch[T] = Batch()
        while pending:
            index, future = pending.popleft()
            try:
                batch.items.append(future.result())
                batch.indices.append(index)
            except DecodeError as exc:
                batch.failures.append((index, str(exc)))
            except Exception as exc:  # one bad file must never end the whole run
                batch.failures.append((index, f"unexpected {type(exc).__name__}: {exc}"))
            refill()
            if len(batch.indices) + len(batch.failures) == batch_size:
                yield batch
                batch = Batch()
        if batch.indices or batch.failures:
            yield batch

"""Decode many files in parallel threads and hand them out in batches, in file order.

Pillow releases the GIL while decoding, and onnxruntime while inferring, so threads scale across
cores. ``iter_batches`` decodes file by file ahead of the consumer; ``iter_processed`` gives each
thread whole batches to decode and then process (e.g. embed), one batch per core at a time. Both
hold a bounded window of work, so memory stays flat whatever the number of files.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from imagededup.images.decode import DecodeError
from imagededup.validation import check_positive_int


@dataclass
class Batch[T]:
    """Decoded items of one batch, their positions in the input, and the positions that failed."""

    indices: list[int] = field(default_factory=list)
    items: list[T] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Processed[R]:
    """The result of processing one batch's decoded items, with their positions and failures."""

    indices: list[int]
    result: R | None
    failures: list[tuple[int, str]]


def default_workers() -> int:
    """Decoding threads to use when the caller does not say: one per core this process may use
    (its CPU affinity, e.g. under ``taskset`` or a container's cpuset)."""
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def iter_batches[T](
    paths: Sequence[str | os.PathLike[str]],
    decode: Callable[[str | os.PathLike[str]], T],
    batch_size: int,
    num_workers: int | None = None,
) -> Iterator[Batch[T]]:
    """Yield batches of ``decode(path)`` results; an exception becomes a failure with its reason.

    At most ``2 * batch_size`` decoded items are held at any time.
    """
    check_positive_int("batch_size", batch_size)
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
            except Exception as exc:  # one bad file must never end the whole run
                batch.failures.append((index, _reason(exc)))
            refill()
            if len(batch.indices) + len(batch.failures) == batch_size:
                yield batch
                batch = Batch()
        if batch.indices or batch.failures:
            yield batch


def iter_processed[T, R](
    paths: Sequence[str | os.PathLike[str]],
    decode: Callable[[str | os.PathLike[str]], T],
    process: Callable[[list[T]], R],
    batch_size: int,
    num_workers: int | None = None,
) -> Iterator[Processed[R]]:
    """Yield ``process(decoded batch)`` per batch of ``paths``, in order; a thread does each batch.

    Decoding and processing a batch in the same thread keeps every core busy without the threads
    of a shared inference pool competing with decoding (measured 20% faster than
    ``iter_batches`` feeding a 2-thread onnxruntime session, on 2 cores). An exception in
    ``decode`` fails that file; ``process`` sees only the decoded items (never an empty list).
    """
    check_positive_int("batch_size", batch_size)
    workers = num_workers or default_workers()
    starts = range(0, len(paths), batch_size)

    def run(start: int) -> Processed[R]:
        decoded = _decode_all(paths, range(start, min(start + batch_size, len(paths))), decode)
        items = [item for _, item in decoded.ok]
        return Processed(
            [i for i, _ in decoded.ok], process(items) if items else None, decoded.failed
        )

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imagededup-batch") as pool:
        pending: deque[Future[Processed[R]]] = deque()
        for start in starts:
            pending.append(pool.submit(run, start))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@dataclass
class _Decoded[T]:
    ok: list[tuple[int, T]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def _decode_all[T](
    paths: Sequence[str | os.PathLike[str]],
    indices: range,
    decode: Callable[[str | os.PathLike[str]], T],
) -> _Decoded[T]:
    decoded: _Decoded[T] = _Decoded()
    for index in indices:
        try:
            decoded.ok.append((index, decode(paths[index])))
        except Exception as exc:  # one bad file must never end the whole run
            decoded.failed.append((index, _reason(exc)))
    return decoded


def _reason(exc: Exception) -> str:
    """What to tell the user about a file that could not be decoded."""
    return str(exc) if isinstance(exc, DecodeError) else f"unexpected {type(exc).__name__}: {exc}"

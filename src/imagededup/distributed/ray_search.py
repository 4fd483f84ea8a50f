"""The copy-aware duplicate search as a Ray job: no process holds all the vectors.

The driver reads only the shards' paths (which row of which file is the latest of each path),
numbers the files in name order and trains the coarse lists on a sample. Ray Data then reads
the shards, sends every row to its lists (``search.partitions``: its home and the lists near
its border), shuffles by list and searches each list on a worker, which writes the list's pairs
and crowding neighbours to ``output_dir/_partitions``. Crowding is merged per file by a second
shuffle, and the driver keeps each pair once, normalises it and writes ``pairs.parquet``
(``first``, ``second``: the shards' paths, ``score``). A killed run restarts from the lists not
written yet; a changed collection or threshold starts over.

    output_dir/
      pairs.parquet       the result (names starting with ``_`` are skipped by Parquet readers)
      _search.json        what was searched, and the summary once complete
      _lists.npy          the coarse centroids
      _partitions/        pairs-<list>.parquet and crowd-<list>.parquet of each list searched
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import ray
from ray.data import DataContext
from ray.data.context import ShuffleStrategy

from imagededup.actions.safe_fs import write_json
from imagededup.distributed import shards
from imagededup.distributed.cluster import connect
from imagededup.distributed.search import background_of, search_settings
from imagededup.jsonfile import read_json
from imagededup.search import partitions
from imagededup.search.copies import FLOOR, K, normalized
from imagededup.search.exact import PairSet
from imagededup.search.pairs import Pairs
from imagededup.search.rows import ViewRows

PathLike = str | os.PathLike[str]
FORMAT_VERSION = 1
STATE = "_search.json"
LISTS = "_lists.npy"
PARTS = "_partitions"
RESULT = "pairs.parquet"
KEYS = ("first", "second")
SHUFFLE = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
"""Tasks on the worker pool: no aggregator actors to start (hash shuffles took seconds more)."""
CROWD_ROW_GROUP = 4096
MIN_TRAIN = 10_000
"""The coarse lists are trained on at least this many vectors (or all)."""


@dataclass
class SearchSummary:
    """What ``find_duplicates_on_ray`` found and what it cost."""

    pairs: int
    files: int
    seconds: float
    lists: int = 0
    """Partitions of the search (coarse lists)."""
    searched: int = 0
    """Lists searched by this call (the others were written by an earlier, interrupted one)."""
    rows_sent: int = 0
    """Rows shuffled by this call: each file once per list it went to."""
    worker_peak_mib: float = 0.0
    """Highest peak RSS of a worker process while it searched a list (0 when none ran)."""
    search_seconds: float = 0.0
    """Seconds the workers spent searching lists, added up (the work, without the shuffle)."""
    task_mib: float = 0.0
    """Most memory one list's search added to its worker (peak RSS above the RSS at start)."""
    vectors_mib: float = 0.0
    """Size of all the vectors searched, to compare with ``worker_peak_mib``."""


def find_duplicates_on_ray(
    parquet_dir: PathLike,
    output_dir: PathLike,
    min_similarity_threshold: float | None = None,
    num_workers: int | None = None,
    address: str | None = None,
    *,
    files: Iterable[PathLike] | None = None,
) -> SearchSummary:
    """Duplicate pairs of the files encoded in ``parquet_dir``, written to ``output_dir``.

    Pairs are scored as ``find_duplicates_from_parquet`` scores them (best over views, minus the
    crowding penalty); up to ``PARTITION_ROWS`` files (one partition) the result is the same.
    With more, a pair is missed when neither file went to the other's list, and crowding is
    each file's ``K``-th neighbour among the lists it went to (the one-machine IVF also
    estimates it from a few lists). ``min_similarity_threshold``
    defaults to the model's; ``files`` limits the search to these paths; ``num_workers`` caps
    the concurrent tasks; ``address`` as in ``encode_dataset``. Reads ``output_dir/pairs.parquet``
    with any Parquet reader, or ``read_pairs``.
    """
    started = time.perf_counter()
    parquet_dir, output_dir = Path(parquet_dir), Path(output_dir)
    manifest, threshold = search_settings(parquet_dir, min_similarity_threshold)
    view_count = manifest.get("view_count", 1)
    background = background_of(manifest)
    shard_paths, located = shards.locate_embeddings(parquet_dir)
    located = numbered(located, files)
    key = {
        "format": FORMAT_VERSION,
        "source": os.path.abspath(parquet_dir),
        "threshold": threshold,
        "view_count": view_count,
        "files": len(located),
        "partition_rows": partitions.PARTITION_ROWS,
        "margin": partitions.MARGIN,
        "max_lists": partitions.MAX_LISTS,
        "background": 0 if background is None else len(background),
        "fingerprint": fingerprint(shard_paths, located),
    }
    state = open_output(output_dir, key)
    if "summary" in state:
        return SearchSummary(**{**state["summary"], "searched": 0, "rows_sent": 0})
    summary = SearchSummary(0, 0, 0.0)
    if not len(located):
        write_pairs(output_dir / RESULT, located["path"], Pairs.empty())
    else:
        connect(address)
        context = DataContext.get_current()
        strategy, context.shuffle_strategy = context.shuffle_strategy, SHUFFLE
        try:
            summary = search(
                shard_paths, located, output_dir, threshold, view_count, num_workers, background
            )
        finally:
            context.shuffle_strategy = strategy
    summary.seconds = time.perf_counter() - started
    state["summary"] = asdict(summary)
    write_json(output_dir / STATE, state)
    return summary


def numbered(located: pa.Table | None, files: Iterable[PathLike] | None) -> pa.Table:
    """The files to search with their id: their rank in name order (as the one-machine search)."""
    if located is None:
        empty = {"path": pa.binary(), "shard": pa.int32(), "row": pa.int64()}
        return pa.table({name: pa.array([], kind) for name, kind in empty.items()})
    names = [os.fsdecode(path) for path in located["path"].to_pylist()]
    if files is not None:
        wanted = {os.path.abspath(path) for path in files}
        keep = [i for i, name in enumerate(names) if name in wanted]
        located, names = located.take(np.array(keep, np.int64)), [names[i] for i in keep]
    return located.take(np.array(sorted(range(len(names)), key=names.__getitem__), np.int64))


def fingerprint(shard_paths: list[Path], located: pa.Table) -> str:
    """Changes when a shard is added, rewritten or removed, or another set of files is asked."""
    digest = hashlib.sha256()
    for path in shard_paths:
        stat = path.stat()
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    for column in ("shard", "row"):
        digest.update(located[column].to_numpy().astype(np.int64).tobytes())
    return digest.hexdigest()


def open_output(output_dir: Path, key: dict) -> dict:
    """The state of an earlier search of the same files into ``output_dir``, else a new one.

    A search of other files (or another threshold) is cleared: only this module's files.
    A non-empty folder that is not a search output is refused.
    """
    path = output_dir / STATE
    if path.is_file():
        state = read_json(path, "a search state")
        if not isinstance(state, dict):
            raise ValueError(f"{path} is not a search state")
        if {name: state.get(name) for name in key} == key:
            return state
        shutil.rmtree(output_dir / PARTS, ignore_errors=True)
        for name in (LISTS, RESULT):
            (output_dir / name).unlink(missing_ok=True)
    elif output_dir.is_dir() and any(output_dir.iterdir()):
        raise ValueError(f"{output_dir} is not empty and holds no {STATE}: not a search output")
    (output_dir / PARTS).mkdir(parents=True, exist_ok=True)
    write_json(path, key)
    return dict(key)


def search(
    shard_paths: list[Path],
    located: pa.Table,
    output_dir: Path,
    threshold: float,
    view_count: int,
    num_workers: int | None,
    background: np.ndarray | None = None,
) -> SearchSummary:
    """Lists -> shuffle -> one search per list -> merged crowding -> ``pairs.parquet``."""
    count = len(located)
    centroids = coarse_lists(shard_paths, located, output_dir / LISTS, view_count)
    parts = output_dir / PARTS
    done = sorted(int(path.stem.split("-")[1]) for path in parts.glob("pairs-*.parquet"))
    stats = []
    if len(done) < len(centroids):
        settings = {
            "folder": str(parts),
            "threshold": threshold,
            "view_count": view_count,
            "background": background,
        }
        assign = {"centroids": centroids, "done": done, "view_count": view_count}
        stats = (
            ray.data.from_items(shard_items(shard_paths, located))
            .map_batches(assign_rows, batch_size=1, fn_kwargs=assign, concurrency=num_workers)
            .groupby("list", num_partitions=len(centroids))  # a block per list: its memory
            .map_groups(
                search_list, batch_format="pyarrow", fn_kwargs=settings, concurrency=num_workers
            )
            .take_all()
        )
    crowd = merged_crowding(parts, count)
    pairs = normalized(unique_pairs(parts, count), crowd, crowd, threshold)
    write_pairs(output_dir / RESULT, located["path"], pairs)
    return SearchSummary(
        pairs=len(pairs),
        files=count,
        seconds=0.0,
        lists=len(centroids),
        searched=len(stats),
        rows_sent=sum(row["rows"] for row in stats),
        worker_peak_mib=max((row["peak_mib"] for row in stats), default=0.0),
        search_seconds=sum(row["seconds"] for row in stats),
        task_mib=max((row["task_mib"] for row in stats), default=0.0),
        vectors_mib=count * centroids.shape[1] * view_count * 4 / 2**20,
    )


def coarse_lists(
    shard_paths: list[Path], located: pa.Table, saved: Path, view_count: int
) -> np.ndarray:
    """The centroids saved by an earlier run, or new ones trained on a sample of whole shards.

    Sampling whole shards (in random order) reads about the sample's size, not every shard.
    """
    if saved.is_file():
        return np.load(saved)
    count = len(located)
    nlist = partitions.list_count(count)
    wanted = min(count, max(MIN_TRAIN, partitions.TRAIN_PER_LIST * nlist))
    rng = np.random.default_rng(partitions.SEED)
    shard_of = located["shard"].to_numpy()
    rows = located["row"].to_numpy()
    sample, taken = [], 0
    for shard in rng.permutation(np.unique(shard_of)).tolist():
        picked = np.sort(rows[shard_of == shard])
        sample.append(read_vectors(shard_paths[shard], picked))
        taken += len(picked)
        if taken >= wanted:
            break
    vectors = np.concatenate(sample)
    vectors = vectors[rng.choice(len(vectors), wanted, replace=False)]
    centroids = partitions.train_lists(ViewRows(vectors, view_count)[:], nlist)
    temporary = saved.with_name(f".{saved.name}.tmp.npy")
    np.save(temporary, centroids)
    temporary.replace(saved)
    return centroids


def read_vectors(shard: Path | str, rows: np.ndarray) -> np.ndarray:
    """The embeddings of ``rows`` of one shard, as an ``N x D`` float32 matrix."""
    embedding = pq.read_table(shard, columns=["embedding"])["embedding"].take(rows)
    embedding = embedding.combine_chunks()
    return embedding.flatten().to_numpy().reshape(len(rows), embedding.type.list_size)


def shard_items(shard_paths: list[Path], located: pa.Table) -> list[dict]:
    """One item per shard holding files to search: its path, rows and their ids (as bytes)."""
    shard_of = located["shard"].to_numpy()
    rows = located["row"].to_numpy()
    order = np.argsort(shard_of, kind="stable")
    bounds = np.searchsorted(shard_of[order], np.arange(len(shard_paths) + 1))
    items = []
    for shard, path in enumerate(shard_paths):
        mine = order[bounds[shard] : bounds[shard + 1]]
        if len(mine):
            pieces = {"rows": rows[mine].astype(np.int64), "ids": mine.astype(np.int64)}
            items.append({"shard": str(path), **{k: v.tobytes() for k, v in pieces.items()}})
    return items


def assign_rows(
    batch: dict[str, np.ndarray], centroids: np.ndarray, done: list[int], view_count: int
) -> pa.Table:
    """A shard's files, one row per list they go to: ``list``, ``id``, ``home``, ``embedding``.

    Lists already written by an earlier run are left out.
    """
    tables = []
    for shard, rows, ids in zip(batch["shard"], batch["rows"], batch["ids"], strict=True):
        vectors = read_vectors(str(shard), np.frombuffer(rows, np.int64))
        row, lists = partitions.nearest_lists(ViewRows(vectors, view_count)[:], centroids)
        home = np.ones(len(row), bool)
        home[1:] = row[1:] != row[:-1]
        keep = ~np.isin(lists, done)
        row, lists, home = row[keep], lists[keep], home[keep]
        tables.append(
            pa.table(
                {
                    "list": pa.array(lists.astype(np.int32)),
                    "id": pa.array(np.frombuffer(ids, np.int64)[row]),
                    "home": pa.array(home),
                    "embedding": embedding_array(vectors[row]),
                }
            )
        )
    return pa.concat_tables(tables)


def embedding_array(vectors: np.ndarray) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])


def search_list(
    table: pa.Table,
    folder: str,
    threshold: float,
    view_count: int,
    background: np.ndarray | None = None,
) -> pa.Table:
    """Search one list's rows and write its pairs and crowding neighbours; returns its costs."""
    number = table["list"][0].as_py()
    started, before = time.perf_counter(), reset_peak_memory()
    embedding = table["embedding"].combine_chunks()
    vectors = embedding.flatten().to_numpy().reshape(len(table), embedding.type.list_size)
    ids = table["id"].to_numpy()
    home = table["home"].to_numpy(zero_copy_only=False)
    pairs, below, over_cap = partitions.search_partition(
        vectors, ids, home, threshold, view_count, background
    )
    crowd = pa.table(
        {
            "id": pa.array(ids),
            "over_cap": pa.array(over_cap),
            "below": pa.FixedSizeListArray.from_arrays(pa.array(below.ravel()), K),
        }
    )
    found = pa.table({"first": pairs.first, "second": pairs.second, "score": pairs.scores})
    crowd = crowd.sort_by("id")
    write_table(crowd, Path(folder) / f"crowd-{number:06d}.parquet", CROWD_ROW_GROUP)
    write_table(found, Path(folder) / f"pairs-{number:06d}.parquet")  # written last: done
    return pa.table(
        {
            "list": [number],
            "rows": [len(table)],
            "pairs": [len(pairs)],
            "seconds": [time.perf_counter() - started],
            "peak_mib": [memory_mib("VmHWM")],
            "task_mib": [memory_mib("VmHWM") - before],
        }
    )


def reset_peak_memory() -> float:
    """Restart this process's peak-RSS count (Linux) and return its RSS now, in MiB."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return memory_mib("VmRSS")


def memory_mib(field: str) -> float:
    """A memory figure of this process from ``/proc/self/status`` in MiB (0 where unknown)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def write_table(table: pa.Table, path: Path, row_group_size: int | None = None) -> None:
    """Write ``table`` to ``path`` whole or not at all (a killed task leaves no half file)."""
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary, row_group_size=row_group_size)
    temporary.replace(path)


def merged_crowding(parts: Path, count: int) -> np.ndarray:
    """Each file's crowding, merged from the lists it went to: one task per range of ids.

    Crowding files are sorted by id in small row groups, so a task reads little beyond its range.
    """
    files = sorted(str(path) for path in parts.glob("crowd-*.parquet"))
    buckets = partitions.list_count(count)
    bounds = [count * number // buckets for number in range(buckets + 1)]
    tasks = [crowd_range.remote(files, low, high) for low, high in pairwise(bounds)]
    crowd = np.full(count, FLOOR, np.float32)
    for ids, values in ray.get(tasks):
        crowd[ids] = values
    return crowd


@ray.remote
def crowd_range(files: list[str], low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """Crowding of the files with ids in ``[low, high)`` from their rows of every list."""
    table = pq.ParquetDataset(files, filters=[("id", ">=", low), ("id", "<", high)]).read()
    below = table["below"].combine_chunks().flatten().to_numpy().reshape(len(table), K)
    return partitions.merged_crowding(table["id"].to_numpy(), below, table["over_cap"].to_numpy())


def unique_pairs(parts: Path, count: int) -> Pairs:
    """Every list's pairs, each pair once with its best score (a pair may meet in two lists)."""
    found = PairSet(count)
    for path in sorted(parts.glob("pairs-*.parquet")):
        table = pq.read_table(path)
        found.add(
            Pairs(table["first"].to_numpy(), table["second"].to_numpy(), table["score"].to_numpy())
        )
    return found.pairs()


def write_pairs(path: Path, names: pa.ChunkedArray, pairs: Pairs) -> None:
    """``pairs.parquet``: ``first`` and ``second`` as the shards' paths, and ``score``."""
    table = pa.table(
        {
            "first": names.take(pa.array(pairs.first)),
            "second": names.take(pa.array(pairs.second)),
            "score": pa.array(pairs.scores, pa.float32()),
        }
    )
    write_table(table, path)


def read_pairs(output_dir: PathLike) -> tuple[list[str], list[str], np.ndarray]:
    """The pairs a search wrote: ``first`` and ``second`` paths (``os.fsdecode``'d), scores."""
    table = pq.read_table(Path(output_dir) / RESULT)
    first, second = ([os.fsdecode(p) for p in table[side].to_pylist()] for side in KEYS)
    return first, second, table["score"].to_numpy()

"""The Parquet layout of an encoded collection: a manifest, then one folder of shards per run.

    output_dir/
      _imagededup.json                {"format": 1, "model_id": ..., "default_threshold": ...}
      run-20261127T101500123456Z/     shards written by one ``encode_dataset`` call
        <uuid>_<block>.parquet

Each row is one file: ``path`` (absolute, as bytes, so any file name round-trips), ``size``,
``mtime_ns``, ``model_id``, ``embedding`` (fixed-size float32 list, null when the file failed)
and ``error`` (why it failed, else null). A file encoded again because it changed has a newer
row in a later run; readers keep the latest row of each path. A shard that cannot be read (a run
killed mid-write) is ignored with a warning, so its files are simply encoded again.

The manifest's leading ``_`` makes Parquet readers (pyarrow, pandas, Spark, Ray Data) skip it,
so they open ``output_dir`` as one dataset; folders written before it was renamed keep
``imagededup.json``, which is read and renamed on the next ``encode_dataset``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from imagededup.actions.safe_fs import write_json
from imagededup.jsonfile import read_json
from imagededup.store import FileKey

logger = logging.getLogger("imagededup")

FORMAT_VERSION = 1
MANIFEST = "_imagededup.json"
OLD_MANIFEST = "imagededup.json"
RUN_PREFIX = "run-"
KEY_COLUMNS = ["path", "size", "mtime_ns"]


def key_table(keys: Sequence[FileKey]) -> pa.Table:
    """File keys as columns ``path`` (bytes), ``size`` and ``mtime_ns``."""
    return pa.table(
        [
            pa.array([key[0] for key in keys], pa.binary()),
            pa.array([key[1] for key in keys], pa.int64()),
            pa.array([key[2] for key in keys], pa.int64()),
        ],
        names=KEY_COLUMNS,
    )


def shard_table(
    keys: Sequence[FileKey],
    model_id: str,
    vectors: np.ndarray,
    encoded: np.ndarray,
    errors: Sequence[str | None],
) -> pa.Table:
    """Shard rows for ``keys``; ``vectors`` fill, in order, the rows where ``encoded`` is true."""
    values = np.zeros((len(keys), vectors.shape[1]), np.float32)
    values[encoded] = vectors
    embedding = pa.FixedSizeListArray.from_arrays(
        pa.array(values.ravel()), vectors.shape[1], mask=pa.array(~encoded)
    )
    return (
        key_table(keys)
        .append_column("model_id", pa.array([model_id] * len(keys), pa.string()))
        .append_column("embedding", embedding)
        .append_column("error", pa.array(errors, pa.string()))
    )


def claim(output_dir: Path, model_id: str, default_threshold: float, view_count: int) -> None:
    """Create ``output_dir`` for this model, or check that it already holds this model's rows."""
    manifest = read_manifest(output_dir)
    if (output_dir / OLD_MANIFEST).is_file() and not (output_dir / MANIFEST).exists():
        (output_dir / OLD_MANIFEST).rename(output_dir / MANIFEST)
    if manifest is None:
        output_dir.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_VERSION,
            "model_id": model_id,
            "default_threshold": default_threshold,
            "view_count": view_count,
        }
        write_json(output_dir / MANIFEST, meta)
    elif manifest["model_id"] != model_id:
        raise ValueError(
            f"{output_dir} holds embeddings of model {manifest['model_id']!r}, not {model_id!r}:"
            " use one output_dir per model"
        )


def read_manifest(output_dir: Path) -> dict | None:
    """The manifest of ``output_dir`` (either name), or None if it was never written to."""
    path = output_dir / MANIFEST
    if not path.is_file() and (output_dir / OLD_MANIFEST).is_file():
        path = output_dir / OLD_MANIFEST
    if not path.is_file():
        if output_dir.is_dir() and any(output_dir.iterdir()):
            raise ValueError(f"{output_dir} is not empty and has no {MANIFEST}: not an output_dir")
        return None
    manifest = read_json(path, "a shard manifest")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise ValueError(f"{path}: format {found}, expected {FORMAT_VERSION}")
    return manifest


def new_run_dir(output_dir: Path) -> Path:
    """A fresh folder for this run's shards, named so that later runs sort after earlier ones."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    run_dir = output_dir / f"{RUN_PREFIX}{stamp}"
    run_dir.mkdir()
    return run_dir


def read_rows(folder: Path, columns: list[str], located: bool = False) -> pa.Table | None:
    """The latest row of every path in the shards under ``folder`` (an output or a run dir).

    ``located`` adds where each row is: ``shard`` (its index in ``shard_files(folder)``) and
    ``row`` (its number in that file). Returns None when there is no readable row.
    """
    tables = []
    for number, shard in enumerate(shard_files(folder)):
        try:
            table = pq.read_table(shard, columns=["path", *columns])
        except (pa.ArrowInvalid, OSError) as exc:
            logger.warning(
                "Ignoring unreadable shard %s (its files are encoded again): %s", shard, exc
            )
            continue
        if located:
            table = table.append_column(
                "shard", pa.array(np.full(len(table), number, np.int32))
            ).append_column("row", pa.array(np.arange(len(table), dtype=np.int64)))
        tables.append(table)
    rows = pa.concat_tables(tables) if tables else None
    if rows is None or not len(rows):
        return None
    rows = rows.append_column("order", pa.array(np.arange(len(rows))))
    latest = rows.group_by("path", use_threads=False).aggregate([("order", "max")])
    return rows.take(np.sort(latest["order_max"].to_numpy())).drop_columns(["order"])


def shard_files(folder: Path) -> list[Path]:
    """Shards in write order: runs by name (time), then files by name; ``folder`` may be a run."""
    pattern = "*.parquet" if folder.name.startswith(RUN_PREFIX) else f"{RUN_PREFIX}*/*.parquet"
    return sorted(folder.glob(pattern))


def done_keys(output_dir: Path, model_id: str) -> set[FileKey]:
    """Keys of the files already encoded with ``model_id``: their latest row has an embedding."""
    rows = read_rows(output_dir, ["size", "mtime_ns", "model_id", "error"])
    if rows is None:
        return set()
    done = rows.filter(pc.and_(pc.is_null(rows["error"]), pc.equal(rows["model_id"], model_id)))
    return set(zip(*(done[name].to_pylist() for name in KEY_COLUMNS), strict=True))


def read_embeddings(folder: Path) -> tuple[list[str], np.ndarray]:
    """Absolute paths (``os.fsdecode``'d) and the ``N x D`` matrix of the encoded files."""
    rows = read_rows(folder, ["embedding"])
    rows = None if rows is None else rows.filter(pc.is_valid(rows["embedding"]))
    if rows is None or not len(rows):
        return [], np.empty((0, 0), np.float32)
    embedding = rows["embedding"].combine_chunks()
    vectors = embedding.flatten().to_numpy().reshape(len(rows), embedding.type.list_size)
    return [os.fsdecode(path) for path in rows["path"].to_pylist()], vectors


def locate_embeddings(folder: Path) -> tuple[list[Path], pa.Table | None]:
    """The shard files under ``folder`` and ``path``, ``shard``, ``row`` of each encoded file.

    Reads no vector: the driver of a distributed search plans with it, workers read the rows.
    """
    rows = read_rows(folder, ["error"], located=True)
    if rows is not None:
        rows = rows.filter(pc.is_null(rows["error"])).drop_columns(["error"])
    return shard_files(folder), rows


def read_failures(folder: Path) -> dict[str, str]:
    """``{absolute path: reason}`` of the files whose latest row is a failure."""
    rows = read_rows(folder, ["error"])
    if rows is None:
        return {}
    failed = rows.filter(pc.is_valid(rows["error"]))
    paths = [os.fsdecode(path) for path in failed["path"].to_pylist()]
    return dict(zip(paths, failed["error"].to_pylist(), strict=True))


def count_rows(folder: Path) -> int:
    """Paths with a readable row in the shards under ``folder``."""
    rows = read_rows(folder, [])
    return 0 if rows is None else len(rows)


def write_vectors(
    output_dir: Path,
    paths: Sequence[str],
    vectors: np.ndarray,
    model_id: str,
    default_threshold: float,
    view_count: int = 1,
    rows_per_shard: int = 4096,
) -> Path:
    """Add vectors computed elsewhere to ``output_dir`` as one run of shards; returns the run.

    ``paths`` name the files (size and mtime 0: ``encode_dataset`` will encode them again).
    """
    claim(output_dir, model_id, default_threshold, view_count)
    run_dir = new_run_dir(output_dir)
    for start in range(0, len(paths), rows_per_shard):
        stop = min(start + rows_per_shard, len(paths))
        keys = [(os.fsencode(path), 0, 0) for path in paths[start:stop]]
        table = shard_table(
            keys, model_id, vectors[start:stop], np.ones(stop - start, bool), [None] * len(keys)
        )
        pq.write_table(table, run_dir / f"part-{start // rows_per_shard:06d}.parquet")
    return run_dir
